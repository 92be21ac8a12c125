import { type CompletionUsage, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';

/** USD per token. */
export interface Price {
  input: number;
  output: number;
}

const perMillion = (input: number, output: number): Price => ({ input: input / 1e6, output: output / 1e6 });

/**
 * OpenAI list prices (USD per 1M tokens, standard tier) for common models, used when a
 * deployment sets no `model_info.input_cost_per_token` / `output_cost_per_token`. Longest
 * matching prefix wins, so dated snapshots (`gpt-4o-mini-2024-07-18`) price like their family.
 */
const OPENAI_PRICES: ReadonlyArray<[string, Price]> = ([
  ['gpt-5-nano', perMillion(0.05, 0.4)],
  ['gpt-5-mini', perMillion(0.25, 2)],
  ['gpt-5', perMillion(1.25, 10)],
  ['gpt-4.1-nano', perMillion(0.1, 0.4)],
  ['gpt-4.1-mini', perMillion(0.4, 1.6)],
  ['gpt-4.1', perMillion(2, 8)],
  ['gpt-4o-mini', perMillion(0.15, 0.6)],
  ['gpt-4o', perMillion(2.5, 10)],
  ['gpt-4-turbo', perMillion(10, 30)],
  ['gpt-4', perMillion(30, 60)],
  ['gpt-3.5-turbo', perMillion(0.5, 1.5)],
  ['o4-mini', perMillion(1.1, 4.4)],
  ['o3-mini', perMillion(1.1, 4.4)],
  ['o3', perMillion(2, 8)],
  ['o1-mini', perMillion(1.1, 4.4)],
  ['o1', perMillion(15, 60)],
] as Array<[string, Price]>).sort((a, b) => b[0].length - a[0].length);

const FREE: Price = { input: 0, output: 0 };

function number(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The deployment's own prices, else the built-in OpenAI table; local models (Ollama) and unknown ones are free. */
export function priceOf(d: Deployment): Price {
  const input = number(d.modelInfo.input_cost_per_token);
  const output = number(d.modelInfo.output_cost_per_token);
  if (input !== undefined || output !== undefined) return { input: input ?? 0, output: output ?? 0 };
  if (d.provider !== Provider.OpenAI) return FREE;
  return OPENAI_PRICES.find(([prefix]) => d.upstreamModel.startsWith(prefix))?.[1] ?? FREE;
}

export function costOf(price: Price, usage: Pick<CompletionUsage, 'prompt_tokens' | 'completion_tokens'> | null | undefined): number {
  if (!usage) return 0;
  return (usage.prompt_tokens ?? 0) * price.input + (usage.completion_tokens ?? 0) * price.output;
}
