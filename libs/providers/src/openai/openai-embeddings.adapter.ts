import type { CreateEmbeddingResponse, EmbeddingRequest } from '@app/contracts';
import type { ChatCallContext } from '../chat-operation';
import type { EmbeddingsOperation, PreparedEmbeddingsCall } from '../embeddings-operation';
import { callUpstream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import type { UpstreamTarget } from '../upstream-target';
import { fromOpenAIEmbeddingsResponse, toOpenAIEmbeddingsRequest } from './openai-embeddings.mapper';

const EMBEDDINGS_PATH = '/embeddings';

/** Embeddings over the OpenAI wire: `POST <api_base>/embeddings`, every input in one call. */
export class OpenAIEmbeddingsAdapter implements EmbeddingsOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream,
  ) {}

  prepare(target: UpstreamTarget, request: EmbeddingRequest): PreparedEmbeddingsCall {
    return { target, body: toOpenAIEmbeddingsRequest(request, target.upstreamModel), stream: false, request };
  }

  async complete(call: PreparedEmbeddingsCall, context: ChatCallContext): Promise<CreateEmbeddingResponse> {
    const { target, body, request } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: EMBEDDINGS_PATH, body, context });
    const embeddings = fromOpenAIEmbeddingsResponse(answer, request);
    if (!embeddings) throw malformedAnswerError(this.provider.name, 'an embeddings answer');
    return embeddings;
  }
}
