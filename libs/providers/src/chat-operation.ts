import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { UpstreamTarget } from './upstream-target';

export interface ChatCallContext {
  callId: string;
  /** Aborted when the call must stop before its deadline (shutdown, cancellation); every upstream call also ends at `deadline` by itself. */
  signal: AbortSignal;
  /** Epoch milliseconds; the upstream call must not outlive it. */
  deadline: number;
}

/** A call turned into its upstream's request, ready to send. */
export interface PreparedChatCall {
  target: UpstreamTarget;
  /** The upstream's request body. */
  body: unknown;
  stream: boolean;
}

/**
 * Chat completions with one provider. Turns the client's OpenAI-shaped request into the
 * upstream's, calls the upstream, and returns an OpenAI `chat.completion` (or its chunks).
 * Failures are thrown as `SwitchyardError` with `retryable` set for 5xx, timeouts and
 * connection errors, `retryAfterMs` for upstream 429s, and never any secret in the message.
 */
export interface ChatOperation {
  /**
   * The upstream's request for this call, without any I/O. Throws `invalid_request` naming the
   * field for what the upstream cannot take. The worker prepares a call before it takes a slot
   * of the deployment's limits, so a call the provider cannot take never holds one.
   */
  prepare(target: UpstreamTarget, request: ChatCompletionRequest, stream: boolean): PreparedChatCall;
  complete(call: PreparedChatCall, context: ChatCallContext): Promise<ChatCompletion>;
  /**
   * The same call streamed: OpenAI `chat.completion.chunk`s in upstream order. The last chunk
   * before the end is a usage chunk (`choices: []`, `usage` set) whenever the upstream can
   * report usage; every other chunk has no usage. Errors before the first chunk are thrown
   * from the first `next()`; errors later are thrown mid-iteration, as `SwitchyardError`.
   * Breaking out of the loop or aborting `context.signal` closes the upstream connection.
   */
  stream(call: PreparedChatCall, context: ChatCallContext): AsyncIterable<ChatCompletionChunk>;
}
