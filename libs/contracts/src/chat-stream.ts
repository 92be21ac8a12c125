import type { TextCompletion } from './completion-wire';
import type { ChatCompletionChunk, CompletionUsage } from './openai-wire';
import type { WireError } from './switchyard-error';

/**
 * What a worker writes, in order, to a streamed call's Redis Stream. The gateway relays
 * `chunk`s to the client and stops at the first `end` or `error`. `TChunk` is the operation's
 * chunk: a chat completion chunk, or a text completion for `completions`.
 */
export type ChatStreamEvent<TChunk = ChatCompletionChunk> =
  /** An OpenAI chunk as the upstream produced it (the gateway sets id, created and model). */
  | { t: 'chunk'; chunk: TChunk }
  /** The call finished; usage when the upstream reported it. */
  | { t: 'end'; usage: CompletionUsage | null }
  /** The call failed; before any chunk the gateway answers it as a normal JSON error. */
  | { t: 'error'; error: WireError };

/** A chunk of any operation that streams, as workers write and gateways count them. */
export type OperationChunk = ChatCompletionChunk | TextCompletion;
