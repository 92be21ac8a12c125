import { type CompletionUsage, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';

/** USD per token. */
export interface Price {
  input: number;
  output: number;
}

/** What Switchyard knows of an OpenAI model without being told: its list prices and the most it may generate in one call. */
interface KnownModel {
  price: Price;
  maxOutputTokens: number;
}

const known = (input: number, output: number, maxOutputTokens: number): KnownModel => ({ price: { input: input / 1e6, output: output / 1e6 }, maxOutputTokens });

/**
 * OpenAI list prices (USD per 1M tokens, standard tier) and maximum output tokens of common
 * models, used when a deployment's `model_info` does not say. Longest matching prefix wins, so
 * dated snapshots (`gpt-4o-mini-2024-07-18`) count like their family.
 */
const OPENAI_MODELS: ReadonlyArray<[string, KnownModel]> = ([
  ['gpt-5-nano', known(0.05, 0.4, 128_000)],
  ['gpt-5-mini', known(0.25, 2, 128_000)],
  ['gpt-5', known(1.25, 10, 128_000)],
  ['gpt-4.1-nano', known(0.1, 0.4, 32_768)],
  ['gpt-4.1-mini', known(0.4, 1.6, 32_768)],
  ['gpt-4.1', known(2, 8, 32_768)],
  ['gpt-4o-mini', known(0.15, 0.6, 16_384)],
  ['gpt-4o', known(2.5, 10, 16_384)],
  ['gpt-4-turbo', known(10, 30, 4_096)],
  ['gpt-4', known(30, 60, 8_192)],
  ['gpt-3.5-turbo', known(0.5, 1.5, 4_096)],
  ['o4-mini', known(1.1, 4.4, 100_000)],
  ['o3-mini', known(1.1, 4.4, 100_000)],
  ['o3', known(2, 8, 100_000)],
  ['o1-mini', known(1.1, 4.4, 65_536)],
  ['o1', known(15, 60, 100_000)],
] as Array<[string, KnownModel]>).sort((a, b) => b[0].length - a[0].length);

/**
 * Output tokens assumed for a model whose maximum nobody stated (`model_info.max_output_tokens`
 * or `max_tokens`) and that the table above does not know, e.g. an Ollama model.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

const FREE: Price = { input: 0, output: 0 };

function number(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function knownModel(d: Deployment): KnownModel | undefined {
  if (d.provider !== Provider.OpenAI) return undefined;
  return OPENAI_MODELS.find(([prefix]) => d.upstreamModel.startsWith(prefix))?.[1];
}

/** The deployment's own prices, else the built-in OpenAI table; local models (Ollama) and unknown ones are free. */
export function priceOf(d: Deployment): Price {
  const input = number(d.modelInfo.input_cost_per_token);
  const output = number(d.modelInfo.output_cost_per_token);
  if (input !== undefined || output !== undefined) return { input: input ?? 0, output: output ?? 0 };
  return knownModel(d)?.price ?? FREE;
}

/**
 * The most one choice of a call may generate: `model_info.max_output_tokens`, else
 * `model_info.max_tokens` (LiteLLM's names), else the built-in OpenAI table, else
 * {@link DEFAULT_MAX_OUTPUT_TOKENS}.
 */
export function maxOutputTokensOf(d: Deployment): number {
  for (const field of ['max_output_tokens', 'max_tokens']) {
    const n = number(d.modelInfo[field]);
    if (n !== undefined && n >= 1) return Math.floor(n);
  }
  return knownModel(d)?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
}

export function costOf(price: Price, usage: Pick<CompletionUsage, 'prompt_tokens' | 'completion_tokens'> | null | undefined): number {
  if (!usage) return 0;
  return (usage.prompt_tokens ?? 0) * price.input + (usage.completion_tokens ?? 0) * price.output;
}
