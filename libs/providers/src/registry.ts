import { BACKEND_NAME, type Wire } from '@app/contracts';
import { HOSTED_VLLM_PROVIDER } from './hosted_vllm/hosted-vllm.provider';
import { LM_STUDIO_PROVIDER } from './lm_studio/lm-studio.provider';
import { OLLAMA_PROVIDER } from './ollama/ollama.provider';
import { OPENAI_PROVIDER } from './openai/openai.provider';
import type { ProviderDescriptor } from './provider-descriptor';

/** Every provider Switchyard speaks to: the one list. Adding a provider is a folder and a line here. */
export const PROVIDERS: readonly ProviderDescriptor[] = checkedRegistry([OPENAI_PROVIDER, HOSTED_VLLM_PROVIDER, LM_STUDIO_PROVIDER, OLLAMA_PROVIDER]);

export function providerNamed(name: string): ProviderDescriptor | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

/** The provider a `litellm_params.model` names, and the model name its upstream knows. */
export type ModelProvider = { provider: ProviderDescriptor; upstreamModel: string; prefix: string | null };

/** `ollama/llama3` → Ollama, `llama3`; a bare name such as `gpt-4o-mini` goes to the provider that takes bare names. */
export function providerForModel(model: string): ModelProvider | { unknownPrefix: string } {
  const slash = model.indexOf('/');
  if (slash === -1) return { provider: PROVIDERS.find((p) => p.bareModelNames)!, upstreamModel: model, prefix: null };
  const prefix = model.slice(0, slash);
  const provider = PROVIDERS.find((p) => p.prefixes.includes(prefix));
  if (!provider) return { unknownPrefix: prefix };
  return { provider, upstreamModel: model.slice(slash + 1), prefix };
}

/** Every prefix, for messages: `openai, hosted_vllm, …`. */
export function knownPrefixes(): string[] {
  return PROVIDERS.flatMap((p) => p.prefixes);
}

export function providersOfWire(wire: Wire): ProviderDescriptor[] {
  return PROVIDERS.filter((p) => p.wire === wire);
}

/** The backends a worker of this wire consumes without being told: each of its providers' own. */
export function defaultBackendsOfWire(wire: Wire): string[] {
  return [...new Set(providersOfWire(wire).map((p) => p.backend))];
}

/** The wire of a provider's default backend (`hosted_vllm` → `openai`); undefined for any other name. */
export function wireOfDefaultBackend(backend: string): Wire | undefined {
  return PROVIDERS.find((p) => p.backend === backend)?.wire;
}

/**
 * The registry as Switchyard relies on it, or an error at load: unique names and prefixes, exactly
 * one provider for bare model names, backend names fit for queue names, a backend used by one wire
 * only, and chat served by every provider.
 */
export function checkedRegistry(providers: ProviderDescriptor[]): ProviderDescriptor[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const claim = (what: string, by: string) => {
    if (seen.has(what)) problems.push(`${what} is claimed by ${seen.get(what)} and ${by}`);
    seen.set(what, by);
  };
  for (const p of providers) {
    claim(`provider name ${p.name}`, p.name);
    for (const prefix of p.prefixes) claim(`prefix ${prefix}`, p.name);
    if (!BACKEND_NAME.test(p.backend)) problems.push(`${p.name}: backend "${p.backend}" is not a valid backend name`);
    const other = providers.find((q) => q.backend === p.backend && q.wire !== p.wire);
    if (other) problems.push(`backend ${p.backend} is used by ${p.name} (${p.wire}) and ${other.name} (${other.wire})`);
    if (!p.operations.chat) problems.push(`${p.name} does not serve chat`);
    if (p.needsApiBase !== (p.defaultApiBase({}) === undefined)) problems.push(`${p.name}: a default api_base exactly when none is needed`);
  }
  const bare = providers.filter((p) => p.bareModelNames).length;
  if (bare !== 1) problems.push(`${bare} providers take bare model names; exactly one must`);
  if (problems.length) throw new Error(`provider registry: ${problems.join('; ')}`);
  return providers;
}
