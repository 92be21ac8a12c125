import { type ChatCompletionRequest } from '@app/contracts';
import { DEFAULT_MAX_OUTPUT_TOKENS, type Deployment } from '@app/config';
import { reserveCall } from './call-reservation';

const deployment = (fields: Partial<Deployment>): Deployment => ({
  id: 'd',
  modelName: 'm',
  provider: 'ollama',
  wire: 'ollama',
  backend: 'ollama',
  litellmModel: 'ollama/llama3.2',
  upstreamModel: 'llama3.2',
  apiBase: 'http://ollama:11434',
  modelInfo: {},
  extraParams: {},
  headers: {},
  shownParams: {},
  source: 'test',
  ...fields,
});
// 40 characters: a prompt of 10 tokens.
const ask = (fields: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: 'x'.repeat(40) }],
  ...fields,
});
const priced = deployment({ modelInfo: { input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_output_tokens: 100 } });

describe('reserveCall', () => {
  it.each<[string, Deployment, Partial<ChatCompletionRequest>, number]>([
    ["the request's max_tokens", priced, { max_tokens: 20 }, 30],
    ['max_completion_tokens over max_tokens', priced, { max_tokens: 20, max_completion_tokens: 5 }, 15],
    ['times n', priced, { max_tokens: 20, n: 3 }, 70],
    ['without max_tokens: model_info.max_output_tokens', priced, {}, 110],
    ['without max_tokens: model_info.max_output_tokens, times n', priced, { n: 2 }, 210],
    ['then model_info.max_tokens', deployment({ modelInfo: { max_tokens: '64' } }), {}, 74],
    [
      'then the built-in table (gpt-4o-mini: 16,384)',
      deployment({ provider: 'openai', wire: 'openai', backend: 'openai', upstreamModel: 'gpt-4o-mini-2024-07-18' }),
      {},
      16_394,
    ],
    ['then the default', deployment({}), {}, 10 + DEFAULT_MAX_OUTPUT_TOKENS],
  ])('reserves the prompt estimate plus %s', (_case, d, fields, tokens) => {
    expect(reserveCall([d], ask(fields)).tokens).toBe(tokens);
  });

  it('prices the reservation at the deployment, and says where its output bound came from', () => {
    const own = reserveCall([priced], ask({ max_tokens: 20 }));
    expect(own).toMatchObject({ promptTokens: 10, outputTokens: 20, fromRequest: true });
    expect(own.cost).toBeCloseTo(10 * 0.001 + 20 * 0.002, 12);
    const model = reserveCall([priced], ask());
    expect(model).toMatchObject({ outputTokens: 100, fromRequest: false });
    expect(model.cost).toBeCloseTo(10 * 0.001 + 100 * 0.002, 12);
    expect(reserveCall([deployment({})], ask()).cost).toBe(0);
  });

  it('reserves for the dearest and the largest deployment a call may fall back to', () => {
    const dear = deployment({ modelInfo: { input_cost_per_token: 0.01, output_cost_per_token: 0.01, max_output_tokens: 50 } });
    const reservation = reserveCall([priced, dear], ask());
    expect(reservation.tokens).toBe(110);
    expect(reservation.cost).toBeCloseTo(Math.max(10 * 0.001 + 100 * 0.002, 60 * 0.01), 12);
  });

  it('finds the largest max_tokens that fits into the room left', () => {
    const reservation = reserveCall([priced], ask({ n: 2 }));
    // Tokens: (50 - 10 prompt) / 2 choices.
    expect(reservation.maxTokensWithin({ tokens: 50 })).toBe(20);
    // USD: ($0.05 - $0.01 prompt) / ($0.002 × 2 choices), exactly: no float shortfall.
    expect(reservation.maxTokensWithin({ cost: 0.05 })).toBe(10);
    expect(reservation.maxTokensWithin({ tokens: 50, cost: 0.05 })).toBe(10);
    // Not even the prompt fits.
    expect(reservation.maxTokensWithin({ tokens: 9 })).toBe(0);
    expect(reservation.maxTokensWithin({ cost: 0.009 })).toBe(0);
  });
});
