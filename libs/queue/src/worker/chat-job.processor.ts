import type { ChatCompletion, ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';

export interface ChatJobContext {
  requestId: string;
  signal: AbortSignal;
  deadline: number;
}

/** What a worker app supplies: the call to its provider. Everything around it is shared. */
export interface ChatJobProcessor {
  complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatJobContext): Promise<ChatCompletion>;
}

export const CHAT_JOB_PROCESSOR = Symbol('CHAT_JOB_PROCESSOR');
