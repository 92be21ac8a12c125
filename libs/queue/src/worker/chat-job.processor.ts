import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';

export interface ChatJobContext {
  requestId: string;
  signal: AbortSignal;
  deadline: number;
}

/** What a worker app supplies: the call to its provider. Everything around it is shared. */
export interface ChatJobProcessor {
  complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatJobContext): Promise<ChatCompletion>;
  /** OpenAI chunks in order; a final usage chunk (`choices: []`) where the upstream reports usage. */
  stream(deployment: Deployment, request: ChatCompletionRequest, context: ChatJobContext): AsyncIterable<ChatCompletionChunk>;
}

export const CHAT_JOB_PROCESSOR = Symbol('CHAT_JOB_PROCESSOR');
