import type { ChatCompletionChunk, ChatJobPayload, ChatJobResult, EmbeddingRequest, Operation } from '@app/contracts';
import type { ChatCallContext, OperationOf, PreparedChatCall, PreparedEmbeddingsCall, UpstreamTarget } from '@app/providers';
import { estimateEmbeddingTokens, estimateTokens } from '../limits/token-estimate';

/** What a job's answer puts in its result. */
export type JobAnswer = Pick<ChatJobResult, 'completion' | 'embeddings' | 'usage'>;

/** A provider's operation as the job runner drives it, whatever the job's operation. */
export interface RunnableOperation {
  /** The upstream's request (see `ChatOperation.prepare`): throws `invalid_request` for what the provider cannot take. */
  prepare(target: UpstreamTarget, request: ChatJobPayload['request'], stream: boolean): PreparedChatCall;
  /** Tokens the request counts against its deployment's `tpm` before it is sent. */
  estimate(request: ChatJobPayload['request']): number;
  complete(call: PreparedChatCall, context: ChatCallContext): Promise<JobAnswer>;
  /** For operations that stream (chat): the upstream's chunks. */
  stream?(call: PreparedChatCall, context: ChatCallContext): AsyncIterable<ChatCompletionChunk>;
}

/**
 * How the runner serves each operation a job may name: over the provider's operation of that
 * name. A new operation adds its entry here (the type asks for one per `Operation`) and its
 * method to `WireOperations`.
 */
export const JOB_OPERATIONS: { readonly [O in Operation]: (operation: OperationOf[O]) => RunnableOperation } = {
  chat: (chat) => ({
    prepare: (target, request, stream) => chat.prepare(target, request, stream),
    estimate: estimateTokens,
    complete: async (call, context) => {
      const completion = await chat.complete(call, context);
      return { completion, usage: completion.usage };
    },
    stream: (call, context) => chat.stream(call, context),
  }),
  // The job carries the embeddings request where a chat job carries its chat request.
  embeddings: (embeddings) => ({
    prepare: (target, request) => embeddings.prepare(target, request as unknown as EmbeddingRequest),
    estimate: (request) => estimateEmbeddingTokens(request as unknown as EmbeddingRequest),
    complete: async (call, context) => {
      const answer = await embeddings.complete(call as PreparedEmbeddingsCall, context);
      const { prompt_tokens: prompt, total_tokens: total } = answer.usage;
      return { embeddings: answer, usage: { prompt_tokens: prompt, completion_tokens: 0, total_tokens: total ?? prompt } };
    },
  }),
};
