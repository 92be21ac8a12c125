import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Provider } from '@app/contracts';
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
  /**
   * The same call streamed: OpenAI `chat.completion.chunk`s in upstream order. The last chunk
   * before the end is a usage chunk (`choices: []`, `usage` set) whenever the upstream can
   * report usage; every other chunk has no usage. Errors before the first chunk are thrown
   * from the first `next()`; errors later are thrown mid-iteration, as `SwitchyardError`.
   * Breaking out of the loop or aborting `context.signal` closes the upstream connection.
   */
  stream(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): AsyncIterable<ChatCompletionChunk>;
}
