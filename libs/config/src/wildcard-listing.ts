import { providerNamed } from '@app/providers';
import type { Deployment } from './deployment';
import { fillModelPattern, matchModelPattern, wildcardCount } from './model-pattern';

/** Where a wildcard deployment's models come from: its server's list (read by the gateway), else the provider's known models. */
export type ModelListing = { url: string; names(body: unknown): string[] } | { url?: undefined; names: readonly string[] };

export function modelListingOf(d: Pick<Deployment, 'provider' | 'apiBase'>): ModelListing {
  const provider = providerNamed(d.provider);
  if (!provider) return { names: [] };
  const { modelList } = provider;
  if (modelList) return { url: `${d.apiBase}${modelList.path}`, names: (body) => modelList.names(body) };
  return { names: provider.models.names };
}

/**
 * The names clients send for the upstream models a wildcard deployment can reach: each upstream
 * name fitted into `model_name` (`gpt-4o` → `openai/gpt-4o` for `openai/*` → `openai/*`). A
 * deployment whose upstream model has no `*`, or fewer than its `model_name`, lists nothing.
 */
export function namesServed(d: Pick<Deployment, 'modelName' | 'upstreamModel'>, upstreamNames: readonly string[]): string[] {
  const stars = wildcardCount(d.modelName);
  if (stars === 0 || wildcardCount(d.upstreamModel) !== stars) return [];
  return upstreamNames.flatMap((upstream) => {
    const captures = matchModelPattern(d.upstreamModel, upstream);
    return captures ? [fillModelPattern(d.modelName, captures)] : [];
  });
}
