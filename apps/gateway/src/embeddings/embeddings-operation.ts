import type { EmbeddingRequest } from '@app/contracts';
import { type Deployment, embeddingsDeploymentRefusal, modeRefusal, priceOf } from '@app/config';
import { estimateEmbeddingTokens } from '@app/queue';
import type { CallOperation } from '../calls/model-call';
import type { CallReservation } from '../limits/call-reservation';

/**
 * Embeddings on the shared call path: an `embeddings` job on the deployment's queue, served by
 * deployments whose mode is `embedding` and that take the input's form (Ollama: text only).
 * Never streamed.
 */
export const EMBEDDINGS_OPERATION: CallOperation<EmbeddingRequest> = {
  name: 'embeddings',
  reserve: reserveEmbeddings,
  refusal: (deployment, request) => modeRefusal(deployment, 'embedding') ?? embeddingsDeploymentRefusal(deployment, request),
  estimatedUsage: (request) => {
    const prompt = estimateEmbeddingTokens(request);
    return { prompt_tokens: prompt, completion_tokens: 0, total_tokens: prompt, estimated: true };
  },
};

/** What an embeddings call holds against its key's limits: its input, priced at the dearest deployment of its plan; it generates nothing. */
export function reserveEmbeddings(plan: readonly Deployment[], request: EmbeddingRequest): CallReservation {
  const promptTokens = estimateEmbeddingTokens(request);
  const cost = Math.max(...plan.map((d) => promptTokens * priceOf(d).input));
  return { promptTokens, outputTokens: 0, fromRequest: true, tokens: promptTokens, cost, maxTokensWithin: () => 0 };
}
