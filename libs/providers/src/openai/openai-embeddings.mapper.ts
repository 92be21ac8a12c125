import type { CreateEmbeddingResponse, EmbeddingRequest } from '@app/contracts';
import { embeddingAt, floatsOfBase64, shortenedEmbedding } from '../embeddings-operation';
import { isRecord } from '../is-record';

/**
 * The client's body for the upstream: its model name, vectors asked for as floats (so
 * OpenAI-compatible servers without base64 answer too: the worker encodes what the client asked
 * for); every other field (`input`, `dimensions`, `user`) untouched.
 */
export function toOpenAIEmbeddingsRequest(request: EmbeddingRequest, upstreamModel: string): EmbeddingRequest {
  return { ...request, model: upstreamModel, encoding_format: 'float' };
}

/**
 * The upstream's answer as a `CreateEmbeddingResponse` in input order, each vector encoded as the
 * request asked (an upstream that sent base64 anyway is decoded) and no longer than `dimensions`;
 * `undefined` when it is not an embeddings answer. `model` is the upstream's, for the caller to replace.
 */
export function fromOpenAIEmbeddingsResponse(body: unknown, request: EmbeddingRequest): CreateEmbeddingResponse | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  const items: Array<{ index: number; vector: number[] }> = [];
  for (const [position, item] of body.data.entries()) {
    if (!isRecord(item)) return undefined;
    const vector = typeof item.embedding === 'string' ? floatsOfBase64(item.embedding) : item.embedding;
    if (!Array.isArray(vector) || !vector.every((v) => typeof v === 'number')) return undefined;
    items.push({ index: typeof item.index === 'number' ? item.index : position, vector });
  }
  items.sort((a, b) => a.index - b.index);
  const usage = isRecord(body.usage) ? body.usage : {};
  const promptTokens = typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0;
  return {
    object: 'list',
    data: items.map(({ index, vector }) => embeddingAt(index, shortenedEmbedding(vector, request.dimensions), request)),
    model: typeof body.model === 'string' ? body.model : request.model,
    usage: { prompt_tokens: promptTokens, total_tokens: typeof usage.total_tokens === 'number' ? usage.total_tokens : promptTokens },
  };
}
