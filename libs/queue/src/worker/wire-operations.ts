import { type Operation, SwitchyardError, type Wire } from '@app/contracts';
import { type ChatOperation, type EmbeddingsOperation, type OperationOf, UpstreamHttpClient, providerNamed } from '@app/providers';

/**
 * The operations a worker of one wire runs, from the provider registry: each provider's
 * operation is built once, over one pooled HTTP client for the whole process.
 */
export class WireOperations {
  private readonly http = new UpstreamHttpClient();
  private readonly built = new Map<string, unknown>();

  constructor(readonly wire: Wire) {}

  /** The chat operation of a deployment's provider; a provider of another wire is not served here. */
  chat(providerName: string): ChatOperation {
    return this.operation('chat', providerName);
  }

  /** The embeddings operation of a deployment's provider. */
  embeddings(providerName: string): EmbeddingsOperation {
    return this.operation('embeddings', providerName);
  }

  /** After the last call has finished. */
  close(): Promise<void> {
    return this.http.close();
  }

  private operation<O extends Operation>(name: O, providerName: string): OperationOf[O] {
    const key = `${name}:${providerName}`;
    const known = this.built.get(key) as OperationOf[O] | undefined;
    if (known) return known;
    const provider = providerNamed(providerName);
    const build = provider?.wire === this.wire ? provider.operations[name] : undefined;
    if (!provider || !build) throw new SwitchyardError('service_unavailable', `worker-${this.wire} does not serve ${name} for provider ${providerName}`);
    const operation = build(this.http, provider);
    this.built.set(key, operation);
    return operation;
  }
}
