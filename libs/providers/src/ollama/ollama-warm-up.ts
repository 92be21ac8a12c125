import { randomBytes } from 'node:crypto';
import { callUpstream } from '../http/upstream-call';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import type { UpstreamTarget } from '../upstream-target';
import { withOllamaSettings } from './ollama-settings';
import type { OllamaChatRequest } from './ollama-wire';

/**
 * Loads a deployment's model into Ollama: a chat with no messages loads it and answers at once,
 * with the deployment's `keep_alive` and options (its `num_ctx` above all: the model is loaded
 * with the context size the calls will use, or the first call would reload it).
 */
export async function warmUpOllama(http: UpstreamHttpClient, provider: ProviderUpstream, target: UpstreamTarget, timeoutMs: number): Promise<void> {
  const load: OllamaChatRequest = { model: target.upstreamModel, messages: [], stream: false };
  const body = withOllamaSettings(load, target);
  const context = { callId: `warm-up-${randomBytes(4).toString('hex')}`, deadline: Date.now() + timeoutMs, signal: AbortSignal.timeout(timeoutMs) };
  await callUpstream(http, { provider, target, path: '/api/chat', body, context });
}
