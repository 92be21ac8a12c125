import { Injectable, Logger } from '@nestjs/common';
import { type Deployment, isModelPattern, modelListingOf, namesServed } from '@app/config';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { ModelCatalog } from './model-catalog.service';

/** How long a server's model list (Ollama's `/api/tags`) is reused. */
const LIST_TTL_MS = 30_000;
/** A server that does not answer its model list in this time lists nothing this time. */
const LIST_TIMEOUT_MS = 3_000;

/**
 * The concrete model names a key may call, as `/v1/models` lists them: every `model_name`, and
 * for a wildcard one (`ollama/*`) the names it serves — the models its Ollama server reports at
 * `/api/tags` (cached 30 s), or for other providers the built-in known models (`openai/*`:
 * `openai/gpt-4o`, …). Never a pattern itself; a name a more specific entry serves is not repeated.
 */
@Injectable()
export class ModelNames {
  private readonly logger = new Logger(ModelNames.name);
  private readonly lists = new Map<string, { until: number; names: Promise<string[]> }>();

  constructor(private readonly catalog: ModelCatalog) {}

  async visibleTo(auth: AuthContext): Promise<string[]> {
    const models = this.catalog.models;
    const names = new Set<string>();
    for (const name of models.modelNames()) {
      if (!isModelPattern(name)) {
        names.add(name);
        continue;
      }
      for (const d of models.group(name)) {
        for (const served of namesServed(d, await this.upstreamNames(d))) {
          // Only where the pattern is what serves the name: an exact or more specific entry may own it.
          if (models.resolve(served)?.group === name) names.add(served);
        }
      }
    }
    return [...names].filter((name) => mayUseModel(auth, name, models));
  }

  private upstreamNames(d: Deployment): Promise<string[]> {
    const listing = modelListingOf(d);
    if (listing.url === undefined) return Promise.resolve([...listing.names]);
    const now = Date.now();
    const cached = this.lists.get(listing.url);
    if (cached && cached.until > now) return cached.names;
    const names = fetch(listing.url, { signal: AbortSignal.timeout(LIST_TIMEOUT_MS) })
      .then(async (res) => (res.ok ? listing.names(await res.json()) : Promise.reject(new Error(`status ${res.status}`))))
      .catch((err: Error) => {
        // The address may hold credentials: the deployment is named by id, the URL not at all.
        // Kept like an answer: a server that is down does not slow every listing by the timeout.
        this.logger.warn(`could not list the models of deployment ${d.id} ("${d.modelName}"): ${err.message}`);
        return [];
      });
    this.lists.set(listing.url, { until: now + LIST_TTL_MS, names });
    return names;
  }
}
