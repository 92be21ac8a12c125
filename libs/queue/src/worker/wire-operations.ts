import { type Operation, SwitchyardError, type Wire } from '@app/contracts';
import { type OperationOf, UpstreamHttpClient, type UpstreamTarget, providerNamed } from '@app/providers';

/**
 * The operations a worker of one wire runs, from the provider registry: each provider's
 * operation is built once, over one pooled HTTP client for the whole process.
 */
export class WireOperations {
  private readonly http = new UpstreamHttpClient();
  private readonly built = new Map<string, unknown>();

  constructor(readonly wire: Wire) {}

  /** The named operation (chat, completions, embeddings) of a deployment's provider; refused for a provider of another wire, or one that does not serve it. */
  of<O extends Operation>(operation: O, providerName: string): OperationOf[O] {
    const key = `${operation}:${providerName}`;
    const known = this.built.get(key) as OperationOf[O] | undefined;
    if (known) return known;
    const provider = providerNamed(providerName);
    const build = provider?.wire === this.wire ? provider.operations[operation] : undefined;
    if (!provider || !build) throw new SwitchyardError('service_unavailable', `worker-${this.wire} does not serve ${operation} for provider ${providerName}`);
    const built = build(this.http, provider);
    this.built.set(key, built);
    return built;
  }

  /**
   * Loads a deployment's model on its upstream ahead of the first call, where its provider can
   * (`warmUp` on the descriptor); resolves to false for a provider that cannot.
   */
  async warmUp(target: UpstreamTarget & { provider: string }, timeoutMs: number): Promise<boolean> {
    const provider = providerNamed(target.provider);
    if (!provider?.warmUp || provider.wire !== this.wire) return false;
    await provider.warmUp(this.http, provider, target, timeoutMs);
    return true;
  }

  /** After the last call has finished. */
  close(): Promise<void> {
    return this.http.close();
  }
}
