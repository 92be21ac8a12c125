import type { ChatCompletionRequest } from '@app/contracts';
import { deploymentRefusal } from '@app/config';
import { estimatedUsage } from '@app/queue';
import { reserveCall } from '../limits/call-reservation';
import type { CallOperation } from '../calls/model-call';

/** Chat completions on the shared call path. */
export const CHAT_OPERATION: CallOperation<ChatCompletionRequest> = {
  name: 'chat',
  reserve: reserveCall,
  refusal: deploymentRefusal,
  estimatedUsage,
};
