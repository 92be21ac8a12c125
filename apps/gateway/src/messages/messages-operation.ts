import type { ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';
import { estimatedUsage } from '@app/queue';
import { chatRefusal } from '../chat/chat-operation';
import { reserveCall } from '../limits/call-reservation';
import type { CallOperation } from '../calls/model-call';

/**
 * Anthropic's Messages API on the shared call path: a chat job on the deployment's queue, reserved,
 * refused (an embedding model too) and estimated as chat is. `top_k` reaches only Ollama-wire backends (Ollama's `top_k`
 * option): OpenAI's chat API has no such field and refuses fields it does not know.
 */
export const MESSAGES_OPERATION: CallOperation<ChatCompletionRequest> = {
  name: 'chat',
  reserve: reserveCall,
  refusal: chatRefusal,
  estimatedUsage,
  requestFor(deployment: Deployment, request: ChatCompletionRequest): ChatCompletionRequest {
    if (request.top_k === undefined || deployment.wire === 'ollama') return request;
    const { top_k: _topK, ...rest } = request;
    return rest;
  },
};
