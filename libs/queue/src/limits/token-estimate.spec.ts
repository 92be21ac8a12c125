import type { ChatCompletionRequest } from '@app/contracts';
import { chunkChars, estimateEmbeddingTokens, estimateTokens, estimatedUsage } from './token-estimate';

describe('estimateTokens', () => {
  const ask = (fields: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({
    model: 'm',
    messages: [{ role: 'user', content: 'x'.repeat(40) }],
    ...fields,
  });

  it.each<[string, Partial<ChatCompletionRequest>, number]>([
    ['prompt characters / 4', {}, 10],
    ['plus max_tokens', { max_tokens: 50 }, 60],
    ['max_completion_tokens wins over max_tokens', { max_tokens: 50, max_completion_tokens: 20 }, 30],
    ['times n', { max_tokens: 50, n: 3 }, 160],
    [
      'text parts, not images',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'x'.repeat(8) },
              { type: 'image_url', image_url: { url: 'data:'.padEnd(400, 'x') } },
            ],
          },
        ],
      },
      2,
    ],
    [
      'tool-call arguments and tool definitions',
      {
        messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":"bcd"}' } }] }],
        tools: [{ type: 'function' }],
      },
      8,
    ],
    ['rounded up', { messages: [{ role: 'user', content: 'hi' }] }, 1],
  ])('%s', (_case, fields, expected) => {
    expect(estimateTokens(ask(fields))).toBe(expected);
  });
});

describe('estimatedUsage / chunkChars', () => {
  it('estimates a cut-short stream from its prompt and what it generated, and says so', () => {
    const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }], max_tokens: 1000 };
    expect(estimatedUsage(request, 21)).toEqual({ prompt_tokens: 10, completion_tokens: 6, total_tokens: 16, estimated: true });
  });

  it('counts content and tool-call argument characters of a chunk', () => {
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk' as const,
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: { content: 'hello', tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }, finish_reason: null, logprobs: null }],
    };
    expect(chunkChars(chunk)).toBe(12);
  });
});

describe('estimateEmbeddingTokens', () => {
  it.each([
    ['a text: its characters / 4', 'x'.repeat(10), 3],
    ['texts: all their characters / 4', ['x'.repeat(4), 'y'.repeat(5)], 3],
    ['token ids: one each', [1, 2, 3], 3],
    ['arrays of token ids: one each', [[1, 2], [3]], 3],
  ])('counts %s', (_case, input, tokens) => {
    expect(estimateEmbeddingTokens({ input })).toBe(tokens);
  });
});
