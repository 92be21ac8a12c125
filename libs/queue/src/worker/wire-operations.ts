import { SwitchyardError, type Wire } from '@app/contracts';
import { type ChatOperation, UpstreamHttpClient, providerNamed } from '@app/providers';

/**
 * The operations a worker of one wire runs, from the provider registry: each provider's
 * operation is built once, over one pooled HTTP client for the whole process.
 */
export class WireOperations {
  private readonly http = new UpstreamHttpClient();
  private readonly chats = new Map<string, ChatOperation>();

  constructor(readonly wire: Wire) {}

  /** The chat operation of a deployment's provider; a provider of another wire is not served here. */
  chat(providerName: string): ChatOperation {
    const known = this.chats.get(providerName);
    if (known) return known;
    const provider = providerNamed(providerName);
    const build = provider?.wire === this.wire ? provider.operations.chat : undefined;
    if (!provider || !build) throw new SwitchyardError('service_unavailable', `worker-${this.wire} does not serve chat for provider ${providerName}`);
    const chat = build(this.http, provider);
    this.chats.set(providerName, chat);
    return chat;
  }

  /** After the last call has finished. */
  close(): Promise<void> {
    return this.http.close();
  }
}
