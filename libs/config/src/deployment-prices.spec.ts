import type { Deployment } from './deployment';
import { DEFAULT_MAX_OUTPUT_TOKENS, costOf, maxOutputTokensOf, priceOf } from './deployment-prices';

const deployment = (fields: Partial<Deployment>): Deployment => ({
  id: 'd',
  modelName: 'm',
  provider: 'openai',
  wire: 'openai',
  backend: 'openai',
  litellmModel: 'gpt-4o-mini',
  upstreamModel: 'gpt-4o-mini',
  apiBase: 'https://api.openai.com/v1',
  headers: {},
  shownParams: {},
  modelInfo: {},
  extraParams: {},
  source: 'test',
  ...fields,
});

describe('priceOf / costOf', () => {
  it.each([
    ['gpt-4o-mini', 0.15, 0.6],
    ['gpt-4o-mini-2024-07-18', 0.15, 0.6],
    ['gpt-4o', 2.5, 10],
    ['gpt-4.1-nano', 0.1, 0.4],
    ['o3-mini', 1.1, 4.4],
    ['my-finetune', 0, 0],
  ])('prices OpenAI %s at $%d / $%d per 1M tokens', (model, input, output) => {
    const price = priceOf(deployment({ upstreamModel: model }));
    expect(price.input * 1e6).toBeCloseTo(input);
    expect(price.output * 1e6).toBeCloseTo(output);
  });

  it('prefers model_info prices, and makes Ollama free by default', () => {
    expect(priceOf(deployment({ modelInfo: { input_cost_per_token: 0.001, output_cost_per_token: '0.002' } }))).toEqual({ input: 0.001, output: 0.002 });
    expect(priceOf(deployment({ provider: 'ollama', upstreamModel: 'gpt-oss:20b' }))).toEqual({ input: 0, output: 0 });
    expect(priceOf(deployment({ provider: 'ollama', modelInfo: { output_cost_per_token: 0.5 } }))).toEqual({ input: 0, output: 0.5 });
  });

  it('knows no prices of OpenAI-compatible servers: a vLLM or LM Studio model is free unless model_info prices it', () => {
    for (const provider of ['hosted_vllm', 'lm_studio']) {
      expect(priceOf(deployment({ provider, upstreamModel: 'gpt-4o' }))).toEqual({ input: 0, output: 0 });
      expect(maxOutputTokensOf(deployment({ provider, upstreamModel: 'gpt-4o' }))).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
      expect(priceOf(deployment({ provider, upstreamModel: 'gpt-4o', modelInfo: { input_cost_per_token: 0.1 } }))).toEqual({ input: 0.1, output: 0 });
    }
  });

  it('costs prompt and completion tokens at their own prices', () => {
    expect(costOf({ input: 0.001, output: 0.002 }, { prompt_tokens: 10, completion_tokens: 5 })).toBeCloseTo(0.02);
    expect(costOf({ input: 1, output: 1 }, null)).toBe(0);
  });
});

describe('maxOutputTokensOf', () => {
  it.each<[string, Partial<Deployment>, number]>([
    ['model_info.max_output_tokens first', { modelInfo: { max_output_tokens: 1000, max_tokens: 2000 } }, 1000],
    ['then model_info.max_tokens (a string is fine)', { modelInfo: { max_tokens: '2000' } }, 2000],
    ['then the OpenAI table, by prefix', { upstreamModel: 'gpt-4o-2024-08-06' }, 16_384],
    ['the longest prefix winning', { upstreamModel: 'gpt-4.1-mini' }, 32_768],
    ['else the default', { upstreamModel: 'my-finetune' }, DEFAULT_MAX_OUTPUT_TOKENS],
    ['also for Ollama', { provider: 'ollama', upstreamModel: 'gpt-4o' }, DEFAULT_MAX_OUTPUT_TOKENS],
    ['ignoring a value that is no positive number', { modelInfo: { max_output_tokens: 0, max_tokens: 'lots' }, upstreamModel: 'o3' }, 100_000],
  ])('%s', (_case, fields, expected) => {
    expect(maxOutputTokensOf(deployment(fields))).toBe(expected);
  });
});
