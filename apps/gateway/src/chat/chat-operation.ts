import type { ChatCompletionRequest, SwitchyardError } from '@app/contracts';
import { type Deployment, deploymentRefusal, modeRefusal } from '@app/config';
import { estimatedUsage } from '@app/queue';
import { reserveCall } from '../limits/call-reservation';
import type { CallOperation } from '../calls/model-call';

/**
 * Why a deployment cannot take a chat-family call (chat completions, Responses, Messages): it is
 * an embedding model, or its provider cannot do what the request asks.
 */
export function chatRefusal(deployment: Deployment, request: ChatCompletionRequest): SwitchyardError | undefined {
  return modeRefusal(deployment, 'chat') ?? deploymentRefusal(deployment, request);
}

/** Chat completions on the shared call path. */
export const CHAT_OPERATION: CallOperation<ChatCompletionRequest> = {
  name: 'chat',
  reserve: reserveCall,
  refusal: chatRefusal,
  estimatedUsage,
};
