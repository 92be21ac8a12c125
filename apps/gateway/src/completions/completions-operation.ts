import type { CompletionRequest } from '@app/contracts';
import { completionDeploymentRefusal, modeRefusal } from '@app/config';
import { estimatedUsage } from '@app/queue';
import { reserveCall } from '../limits/call-reservation';
import type { CallOperation } from '../calls/model-call';

/**
 * Legacy completions on the shared call path: a `completions` job on the deployment's queue,
 * served by its wire's own upstream operation (`/v1/completions`, Ollama's `/api/generate`), not
 * translated onto chat. Reserved like chat (`max_tokens` times the choices of every prompt),
 * refused where the provider cannot take it (Ollama: several prompts, `n`, `echo`, `logprobs`) and by
 * embedding models.
 */
export const COMPLETIONS_OPERATION: CallOperation<CompletionRequest> = {
  name: 'completions',
  reserve: reserveCall,
  refusal: (deployment, request) => modeRefusal(deployment, 'chat') ?? completionDeploymentRefusal(deployment, request),
  estimatedUsage,
};
