import { type ChatCompletionRequest, type CompletionRequest, type EmbeddingRequest, type Operation, SwitchyardError, type Wire } from '@app/contracts';
import {
  PROVIDERS,
  capabilityRefusal,
  completionCapabilityRefusal,
  embeddingsCapabilityRefusal,
  providerNamed,
  withoutUnsupportedParams,
} from '@app/providers';
import type { Deployment } from './deployment';
import type { EnvSource } from './env.schema';

/** A provider as the admin UI offers it. */
export interface ProviderChoice {
  name: string;
  label: string;
  wire: Wire;
  /** `litellm_params.model` prefixes that name it; the first is the one to write. */
  prefixes: string[];
  needsApiBase: boolean;
  /** Where a deployment without `api_base` goes; null where one is required. */
  defaultApiBase: string | null;
  apiBaseHint: string;
  operations: Operation[];
}

/** Every provider of the registry, for the admin UI's choices; `env` resolves defaults such as OPENAI_API_BASE. */
export function listProviders(env: EnvSource = {}): ProviderChoice[] {
  return PROVIDERS.map((p) => ({
    name: p.name,
    label: p.ui.label,
    wire: p.wire,
    prefixes: [...p.prefixes],
    needsApiBase: p.needsApiBase,
    defaultApiBase: p.defaultApiBase(env) ?? null,
    apiBaseHint: p.ui.apiBaseHint,
    operations: Object.keys(p.operations) as Operation[],
  }));
}

/**
 * The request as a deployment gets it: `additional_drop_params` removed always, and with
 * `drop_params` on, the OpenAI parameters its provider cannot honour (Ollama: `n` > 1). The one
 * place parameters are dropped; every operation's job goes through it.
 */
export function deploymentRequest<T extends object>(d: Pick<Deployment, 'provider' | 'dropParams' | 'additionalDropParams'>, request: T): T {
  let kept = request;
  if (d.additionalDropParams?.length) {
    const copy: Record<string, unknown> = { ...(request as Record<string, unknown>) };
    for (const param of d.additionalDropParams) delete copy[param];
    kept = copy as T;
  }
  const provider = d.dropParams ? providerNamed(d.provider) : undefined;
  if (!provider || !('messages' in kept)) return kept;
  return withoutUnsupportedParams(provider.name, provider.capabilities, kept as unknown as ChatCompletionRequest) as unknown as T;
}

/**
 * Why a deployment cannot take this request, where the request alone tells (Ollama: one choice
 * per call), after its dropped parameters are gone; undefined when it can. The gateway leaves
 * such deployments out of a call's plan.
 */
export function deploymentRefusal(
  d: Pick<Deployment, 'provider' | 'dropParams' | 'additionalDropParams'>,
  request: ChatCompletionRequest,
): SwitchyardError | undefined {
  const provider = providerNamed(d.provider);
  return provider && capabilityRefusal(provider.name, provider.capabilities, deploymentRequest(d, request));
}

/**
 * {@link deploymentRefusal} for a legacy completion: what the deployment's provider cannot take
 * of it (Ollama: several prompts, token ids, `n` > 1, `echo`, `logprobs`, `best_of`), or that
 * it serves no completions at all.
 */
export function completionDeploymentRefusal(d: Pick<Deployment, 'provider'>, request: CompletionRequest): SwitchyardError | undefined {
  const provider = providerNamed(d.provider);
  if (!provider) return undefined;
  if (!provider.operations.completions) return new SwitchyardError('invalid_request', `${provider.name} does not serve completions`, { param: 'model' });
  return completionCapabilityRefusal(provider.name, provider.capabilities, request);
}

/** {@link deploymentRefusal} for an embeddings request (Ollama: text only), after its dropped parameters are gone. */
export function embeddingsDeploymentRefusal(
  d: Pick<Deployment, 'provider' | 'dropParams' | 'additionalDropParams'>,
  request: EmbeddingRequest,
): SwitchyardError | undefined {
  const provider = providerNamed(d.provider);
  if (!provider) return undefined;
  if (!provider.operations.embeddings) return new SwitchyardError('invalid_request', `${provider.name} does not serve embeddings`, { param: 'model' });
  return embeddingsCapabilityRefusal(provider.name, provider.capabilities, deploymentRequest(d, request));
}
