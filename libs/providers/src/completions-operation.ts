import type { CompletionRequest, TextCompletion } from '@app/contracts';
import type { ChatCallContext, PreparedChatCall } from './chat-operation';
import type { UpstreamTarget } from './upstream-target';

/**
 * Legacy text completions (`/v1/completions`) with one provider: the same contract as
 * {@link ChatOperation}, with a text completion for answer and for each chunk. The last chunk of
 * a stream is a usage chunk (`choices: []`) whenever the upstream can report usage.
 */
export interface CompletionsOperation {
  /** The upstream's request for this call, without I/O; throws `invalid_request` naming the field for what the upstream cannot take. */
  prepare(target: UpstreamTarget, request: CompletionRequest, stream: boolean): PreparedChatCall;
  complete(call: PreparedChatCall, context: ChatCallContext): Promise<TextCompletion>;
  stream(call: PreparedChatCall, context: ChatCallContext): AsyncIterable<TextCompletion>;
}
