import { type CreateEmbeddingResponse, type EmbeddingRequest, embeddingInputs } from '@app/contracts';
import { embeddingsCapabilityRefusal } from '../capabilities';
import { embeddingAt, shortenedEmbedding } from '../embeddings-operation';
import { isRecord } from '../is-record';
import type { UpstreamTarget } from '../upstream-target';
import { OLLAMA_CAPABILITIES } from './ollama-capabilities';
import { withOllamaSettings } from './ollama-settings';
import type { OllamaEmbedRequest, OllamaEmbedResponse } from './ollama-wire';

/**
 * The client's OpenAI-shaped request as one Ollama `/api/embed` body carrying every input, with
 * the deployment's `truncate`, `keep_alive` and model options (`withOllamaSettings`). Throws
 * `invalid_request` for token-id input, which Ollama cannot embed.
 */
export function toOllamaEmbedRequest(request: EmbeddingRequest, target: Pick<UpstreamTarget, 'upstreamModel' | 'extraParams'>): OllamaEmbedRequest {
  const refusal = embeddingsCapabilityRefusal('ollama', OLLAMA_CAPABILITIES, request);
  if (refusal) throw refusal;
  // `keep_alive` and model options as for chat and generate; `truncate` is /api/embed's own.
  const body = withOllamaSettings<OllamaEmbedRequest>({ model: target.upstreamModel, input: embeddingInputs(request.input) as string[] }, target);
  const { truncate } = target.extraParams ?? {};
  if (typeof truncate === 'boolean') body.truncate = truncate;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return body;
}

/** Whether a parsed `/api/embed` answer can be read by {@link fromOllamaEmbedResponse}: one vector of numbers per input. */
export function isOllamaEmbedResponse(body: unknown, inputs: number): body is OllamaEmbedResponse {
  return (
    isRecord(body) &&
    Array.isArray(body.embeddings) &&
    body.embeddings.length === inputs &&
    body.embeddings.every((vector) => Array.isArray(vector) && vector.every((v) => typeof v === 'number'))
  );
}

/**
 * An `/api/embed` answer as a `CreateEmbeddingResponse`: vectors in input order, no longer than
 * `dimensions` (an Ollama that ignores it: cut and scaled back to length 1, as OpenAI shortens),
 * encoded as the request asked. Usage is Ollama's prompt count. `model` is the upstream's.
 */
export function fromOllamaEmbedResponse(body: OllamaEmbedResponse, request: EmbeddingRequest, upstreamModel: string): CreateEmbeddingResponse {
  const promptTokens = typeof body.prompt_eval_count === 'number' ? body.prompt_eval_count : 0;
  return {
    object: 'list',
    data: body.embeddings.map((vector, index) => embeddingAt(index, shortenedEmbedding(vector, request.dimensions), request)),
    model: typeof body.model === 'string' ? body.model : upstreamModel,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
