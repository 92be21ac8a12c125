import type { CompletionUsage } from '@app/contracts';
import { type KnownModel, type Price, providerNamed } from '@app/providers';
import type { Deployment } from './deployment';

export type { Price } from '@app/providers';

/** What prices and output bounds are read from. */
type PricedDeployment = Pick<Deployment, 'provider' | 'upstreamModel' | 'modelInfo'>;

/**
 * Output tokens assumed for a model whose maximum nobody stated (`model_info.max_output_tokens`
 * or `max_tokens`) and that its provider does not know, e.g. an Ollama model.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

const FREE: Price = { input: 0, output: 0 };

function number(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** What the deployment's provider knows of its model: OpenAI's list; none for local servers (vLLM, LM Studio, Ollama). */
function knownModel(d: PricedDeployment): KnownModel | undefined {
  return providerNamed(d.provider)?.models.lookup(d.upstreamModel);
}

/** The deployment's own prices (`model_info`), else its provider's for the model; anything else is free. */
export function priceOf(d: PricedDeployment): Price {
  const input = number(d.modelInfo.input_cost_per_token);
  const output = number(d.modelInfo.output_cost_per_token);
  if (input !== undefined || output !== undefined) return { input: input ?? 0, output: output ?? 0 };
  return knownModel(d)?.price ?? FREE;
}

/**
 * The most one choice of a call may generate: `model_info.max_output_tokens`, else
 * `model_info.max_tokens` (LiteLLM's names), else what its provider knows of the model, else
 * {@link DEFAULT_MAX_OUTPUT_TOKENS}.
 */
export function maxOutputTokensOf(d: PricedDeployment): number {
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
