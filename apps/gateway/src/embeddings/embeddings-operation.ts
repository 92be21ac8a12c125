import type { EmbeddingRequest } from '@app/contracts';
import { embeddingsDeploymentRefusal, modeRefusal } from '@app/config';
import { estimatedUsage } from '@app/queue';
import type { CallOperation } from '../calls/model-call';
import { reserveCall } from '../limits/call-reservation';

/**
 * Embeddings on the shared call path: an `embeddings` job on the deployment's queue, served by
 * deployments whose mode is `embedding` and that take the input's form (Ollama: text only), after
 * the parameters the deployment drops are gone. Reserved and estimated as every call is, by its
 * input: it generates nothing. Never streamed.
 */
export const EMBEDDINGS_OPERATION: CallOperation<EmbeddingRequest> = {
  name: 'embeddings',
  reserve: reserveCall,
  refusal: (deployment, request) => modeRefusal(deployment, 'embedding') ?? embeddingsDeploymentRefusal(deployment, request),
  estimatedUsage,
};
