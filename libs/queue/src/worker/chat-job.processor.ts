import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';

export interface ChatJobContext {
  callId: string;
  signal: AbortSignal;
  deadline: number;
}

/**
 * What a worker app supplies: the call to its provider. Everything around it is shared.
 * `Prepared` is the provider's own form of the call (its upstream request).
 */
export interface ChatJobProcessor<Prepared = unknown> {
  /**
   * Turns the request into the provider's, without I/O; throws `invalid_request` for what the
   * provider cannot take. Runs before the call takes a slot of its deployment's limits.
   */
  prepare(deployment: Deployment, request: ChatCompletionRequest, stream: boolean): Prepared;
  complete(call: Prepared, context: ChatJobContext): Promise<ChatCompletion>;
  /** OpenAI chunks in order; a final usage chunk (`choices: []`) where the upstream reports usage. */
  stream(call: Prepared, context: ChatJobContext): AsyncIterable<ChatCompletionChunk>;
}

export const CHAT_JOB_PROCESSOR = Symbol('CHAT_JOB_PROCESSOR');
