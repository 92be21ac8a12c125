import type { ChatCompletionRequest, ChatJobPayload, ChatJobResult, CompletionRequest, EmbeddingRequest, Operation, OperationChunk } from '@app/contracts';
import type { ChatCallContext, OperationOf, PreparedChatCall, PreparedEmbeddingsCall, UpstreamTarget } from '@app/providers';

/** What a job's answer puts in its result: the operation's own answer, and the tokens it used. */
export type JobAnswer = Pick<ChatJobResult<unknown>, 'completion' | 'usage'>;

/**
 * What the runner does with the operation a job names, whatever it is: the request in the
 * provider's form, then its answer or, streamed, its chunks.
 */
export interface JobOperation {
  /** The upstream's request (see `ChatOperation.prepare`): throws `invalid_request` for what the provider cannot take. */
  prepare(target: UpstreamTarget, request: ChatJobPayload['request'], stream: boolean): PreparedChatCall;
  complete(call: PreparedChatCall, context: ChatCallContext): Promise<JobAnswer>;
  /** For operations that stream (chat, completions): the upstream's chunks. */
  stream?(call: PreparedChatCall, context: ChatCallContext): AsyncIterable<OperationChunk>;
}

/**
 * How the runner serves each operation a job may name, over the provider's operation of that
 * name (`WireOperations.of`). Adding an operation is its entry here (the type asks for one per
 * `Operation`); the job carries the operation's own request where a chat job carries its chat
 * request, and the answer goes back in `completion`.
 */
export const JOB_OPERATIONS: { readonly [O in Operation]: (operation: OperationOf[O]) => JobOperation } = {
  chat: (chat) => ({
    prepare: (target, request, stream) => chat.prepare(target, request as ChatCompletionRequest, stream),
    complete: async (call, context) => {
      const completion = await chat.complete(call, context);
      return { completion, usage: completion.usage };
    },
    stream: (call, context) => chat.stream(call, context),
  }),
  completions: (completions) => ({
    prepare: (target, request, stream) => completions.prepare(target, request as CompletionRequest, stream),
    complete: async (call, context) => {
      const completion = await completions.complete(call, context);
      return { completion, usage: completion.usage };
    },
    stream: (call, context) => completions.stream(call, context),
  }),
  // Never streamed: the gateway does not offer it.
  embeddings: (embeddings) => ({
    prepare: (target, request) => embeddings.prepare(target, request as EmbeddingRequest),
    complete: async (call, context) => {
      const answer = await embeddings.complete(call as PreparedEmbeddingsCall, context);
      const { prompt_tokens: prompt, total_tokens: total } = answer.usage;
      return { completion: answer, usage: { prompt_tokens: prompt, completion_tokens: 0, total_tokens: total ?? prompt } };
    },
  }),
};

/** The operation a job names, as the runner drives it; undefined for one this worker does not know (a newer gateway's). */
export function jobOperation<O extends Operation>(name: O, of: (name: O) => OperationOf[O]): JobOperation | undefined {
  const entry = (JOB_OPERATIONS as Partial<Record<string, (operation: OperationOf[O]) => JobOperation>>)[name];
  return entry?.(of(name));
}
