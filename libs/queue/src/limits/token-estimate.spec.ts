import type { ChatCompletionRequest, CompletionRequest } from '@app/contracts';
import { choicesOf, chunkChars, estimatePromptTokens, estimateTokens, estimatedUsage } from './token-estimate';

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

describe('legacy completions', () => {
  const ask = (fields: Partial<CompletionRequest>): CompletionRequest => ({ model: 'm', prompt: 'x'.repeat(40), ...fields });

  it.each<[string, Partial<CompletionRequest>, number]>([
    ['prompt characters / 4', {}, 10],
    ['with the suffix', { suffix: 'y'.repeat(8) }, 12],
    ['plus max_tokens times n', { max_tokens: 50, n: 2 }, 110],
    ['best_of when larger than n', { max_tokens: 50, n: 1, best_of: 3 }, 160],
    ['every prompt of a list, each with its own choices', { prompt: ['x'.repeat(20), 'x'.repeat(20)], max_tokens: 10, n: 2 }, 50],
    ['token ids as tokens', { prompt: [1, 2, 3], max_tokens: 1 }, 4],
    ['lists of token ids as several prompts', { prompt: [[1, 2], [3]], max_tokens: 1 }, 5],
  ])('counts %s', (_case, fields, expected) => {
    expect(estimateTokens(ask(fields))).toBe(expected);
  });

  it('counts the choices of a call', () => {
    expect(choicesOf(ask({ prompt: ['a', 'b', 'c'], n: 2 }))).toBe(6);
    expect(choicesOf({ model: 'm', messages: [], n: 3 })).toBe(3);
  });

  it("counts a text completion chunk's text", () => {
    expect(
      chunkChars({ id: 'c', object: 'text_completion', created: 0, model: 'm', choices: [{ text: 'hello', index: 0, logprobs: null, finish_reason: null }] }),
    ).toBe(5);
    expect(estimatedUsage(ask({}), 8)).toEqual({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, estimated: true });
  });
});

describe('embeddings', () => {
  it.each([
    ['a text: its characters / 4', 'x'.repeat(10), 3],
    ['texts: all their characters / 4', ['x'.repeat(4), 'y'.repeat(5)], 3],
    ['token ids: one each', [1, 2, 3], 3],
    ['arrays of token ids: one each', [[1, 2], [3]], 3],
  ])('counts the input of %s, and nothing generated', (_case, input, tokens) => {
    const request = { model: 'm', input, dimensions: 8 };
    expect(estimatePromptTokens(request)).toBe(tokens);
    expect(estimateTokens(request)).toBe(tokens);
    expect(choicesOf(request)).toBe(0);
    expect(estimatedUsage(request, 0)).toEqual({ prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens, estimated: true });
  });
});
