import { OPENAI_CHAT_PARAMS, providerNamed } from '@app/providers';
import type { Deployment } from './deployment';
import { maxOutputTokensOf, priceOf } from './deployment-prices';
import { accessGroupsOf } from './model-registry';

/** One model group in LiteLLM's `/model_group/info` shape. No setting of a deployment, no secret. */
export interface ModelGroupInfo {
  model_group: string;
  providers: string[];
  mode: string;
  max_input_tokens: number | null;
  max_output_tokens: number | null;
  input_cost_per_token: number | null;
  output_cost_per_token: number | null;
  tpm: number | null;
  rpm: number | null;
  supports_function_calling: boolean;
  supports_vision: boolean;
  supports_parallel_function_calling: boolean;
  supported_openai_params: string[];
  access_groups: string[];
}

function positive(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function most(values: (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.max(...known) : null;
}

function total(values: (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

/** A `model_info.supports_*` flag as written, else the provider's answer. */
function flag(d: Deployment, field: string, otherwise: boolean): boolean {
  const value = d.modelInfo[field];
  return typeof value === 'boolean' ? value : otherwise;
}

/**
 * A model group as LiteLLM's `/model_group/info` describes it: `mode` from `model_info.mode`
 * (default `chat`); token bounds and prices the highest of its deployments' (`model_info`, else
 * the built-in table); `tpm`/`rpm` the sum of its deployments'; a capability where every
 * deployment has it (`model_info.supports_*`, else the provider's); the OpenAI parameters every
 * deployment honours.
 */
export function modelGroupInfo(name: string, deployments: readonly Deployment[]): ModelGroupInfo {
  const providers = deployments.map((d) => providerNamed(d.provider));
  const params = providers.map((p) => p?.capabilities.supportedParams ?? OPENAI_CHAT_PARAMS);
  const prices = deployments.map(priceOf);
  const priced =
    deployments.some((d) => d.modelInfo.input_cost_per_token !== undefined || d.modelInfo.output_cost_per_token !== undefined) ||
    prices.some((p) => p.input || p.output);
  return {
    model_group: name,
    providers: [...new Set(deployments.map((d) => d.provider))],
    mode: typeof deployments[0]?.modelInfo.mode === 'string' ? deployments[0].modelInfo.mode : 'chat',
    max_input_tokens: most(deployments.map((d) => positive(d.modelInfo.max_input_tokens))),
    max_output_tokens: most(deployments.map((d) => maxOutputTokensOf(d))),
    input_cost_per_token: priced ? Math.max(...prices.map((p) => p.input)) : null,
    output_cost_per_token: priced ? Math.max(...prices.map((p) => p.output)) : null,
    tpm: total(deployments.map((d) => d.tpm)),
    rpm: total(deployments.map((d) => d.rpm)),
    supports_function_calling: deployments.every((d) => flag(d, 'supports_function_calling', true)),
    supports_vision: deployments.every((d) => flag(d, 'supports_vision', false)),
    supports_parallel_function_calling: deployments.every((d, i) =>
      flag(d, 'supports_parallel_function_calling', providers[i]?.capabilities.parallelToolCalls ?? true),
    ),
    supported_openai_params: OPENAI_CHAT_PARAMS.filter((p) => params.every((list) => list.includes(p))),
    access_groups: [...new Set(deployments.flatMap(accessGroupsOf))],
  };
}
