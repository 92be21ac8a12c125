import { type CreateEmbeddingResponse, type EmbeddingRequest, embeddingInputs } from '@app/contracts';
import type { ChatCallContext } from '../chat-operation';
import type { EmbeddingsOperation, PreparedEmbeddingsCall } from '../embeddings-operation';
import { callUpstream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import type { UpstreamTarget } from '../upstream-target';
import { fromOllamaEmbedResponse, isOllamaEmbedResponse, toOllamaEmbedRequest } from './ollama-embed.mapper';

const EMBED_PATH = '/api/embed';

/** Ollama's native `/api/embed`: one call carrying every input of the request. */
export class OllamaEmbedAdapter implements EmbeddingsOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream,
  ) {}

  prepare(target: UpstreamTarget, request: EmbeddingRequest): PreparedEmbeddingsCall {
    return { target, body: toOllamaEmbedRequest(request, target), stream: false, request };
  }

  async complete(call: PreparedEmbeddingsCall, context: ChatCallContext): Promise<CreateEmbeddingResponse> {
    const { target, body, request } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: EMBED_PATH, body, context });
    if (!isOllamaEmbedResponse(answer, embeddingInputs(request.input).length)) throw malformedAnswerError(this.provider.name, 'an Ollama embed answer');
    return fromOllamaEmbedResponse(answer, request, target.upstreamModel);
  }
}
