import type { ChatCompletionRequest } from '@app/contracts';
import { estimateTokens } from './token-estimate';

describe('estimateTokens', () => {
  const ask = (fields: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }], ...fields });

  it.each<[string, Partial<ChatCompletionRequest>, number]>([
    ['prompt characters / 4', {}, 10],
    ['plus max_tokens', { max_tokens: 50 }, 60],
    ['max_completion_tokens wins over max_tokens', { max_tokens: 50, max_completion_tokens: 20 }, 30],
    ['times n', { max_tokens: 50, n: 3 }, 160],
    ['text parts, not images', { messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(8) }, { type: 'image_url', image_url: { url: 'data:'.padEnd(400, 'x') } }] }] }, 2],
    ['tool-call arguments and tool definitions', { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":"bcd"}' } }] }], tools: [{ type: 'function' }] }, 8],
    ['rounded up', { messages: [{ role: 'user', content: 'hi' }] }, 1],
  ])('%s', (_case, fields, expected) => {
    expect(estimateTokens(ask(fields))).toBe(expected);
  });
});
