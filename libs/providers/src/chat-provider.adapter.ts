import type { ChatCompletion, ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';

export interface ChatCallContext {
  requestId: string;
  /** Aborted when the call must stop (deadline, shutdown, cancellation). */
  signal: AbortSignal;
  /** Epoch milliseconds; the upstream call must not outlive it. */
  deadline: number;
}

/**
 * One per provider. Takes the client's OpenAI-shaped request and the deployment it was
 * routed to, calls the upstream, and returns an OpenAI `chat.completion`.
 * Failures are thrown as `SwitchyardError` with `retryable` set for 5xx, timeouts and
 * connection errors, `retryAfterMs` for upstream 429s, and never any secret in the message.
 */
export interface ChatProviderAdapter {
  readonly provider: Provider;
  complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): Promise<ChatCompletion>;
}
