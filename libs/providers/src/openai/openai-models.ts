import { knownModel, modelsByPrefix } from '../known-models';

/**
 * OpenAI list prices (USD per 1M tokens, standard tier) and maximum output tokens of common
 * models, used when a deployment's `model_info` does not say. Longest matching prefix wins.
 */
export const OPENAI_MODELS = modelsByPrefix([
  ['gpt-5-nano', knownModel(0.05, 0.4, 128_000)],
  ['gpt-5-mini', knownModel(0.25, 2, 128_000)],
  ['gpt-5', knownModel(1.25, 10, 128_000)],
  ['gpt-4.1-nano', knownModel(0.1, 0.4, 32_768)],
  ['gpt-4.1-mini', knownModel(0.4, 1.6, 32_768)],
  ['gpt-4.1', knownModel(2, 8, 32_768)],
  ['gpt-4o-mini', knownModel(0.15, 0.6, 16_384)],
  ['gpt-4o', knownModel(2.5, 10, 16_384)],
  ['gpt-4-turbo', knownModel(10, 30, 4_096)],
  ['gpt-4', knownModel(30, 60, 8_192)],
  ['gpt-3.5-turbo', knownModel(0.5, 1.5, 4_096)],
  ['o4-mini', knownModel(1.1, 4.4, 100_000)],
  ['o3-mini', knownModel(1.1, 4.4, 100_000)],
  ['o3', knownModel(2, 8, 100_000)],
  ['o1-mini', knownModel(1.1, 4.4, 65_536)],
  ['o1', knownModel(15, 60, 100_000)],
  // Embedding models: input tokens only.
  ['text-embedding-3-small', knownModel(0.02, 0, 0)],
  ['text-embedding-3-large', knownModel(0.13, 0, 0)],
  ['text-embedding-ada-002', knownModel(0.1, 0, 0)],
]);
