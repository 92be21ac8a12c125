import type { ChatCompletionRequest, EmbeddingRequest, Operation, SwitchyardError, Wire } from '@app/contracts';
import { PROVIDERS, capabilityRefusal, embeddingsCapabilityRefusal, providerNamed } from '@app/providers';
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
 * Why a deployment cannot take this request, where the request alone tells (Ollama: one choice
 * per call); undefined when it can. The gateway leaves such deployments out of a call's plan.
 */
export function deploymentRefusal(d: Pick<Deployment, 'provider'>, request: ChatCompletionRequest): SwitchyardError | undefined {
  const provider = providerNamed(d.provider);
  return provider && capabilityRefusal(provider.name, provider.capabilities, request);
}

/** {@link deploymentRefusal} for an embeddings request (Ollama: text only). */
export function embeddingsDeploymentRefusal(d: Pick<Deployment, 'provider'>, request: EmbeddingRequest): SwitchyardError | undefined {
  const provider = providerNamed(d.provider);
  return provider && embeddingsCapabilityRefusal(provider.name, provider.capabilities, request);
}
