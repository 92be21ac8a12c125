import type { CreateEmbeddingResponse, Embedding, EmbeddingRequest } from '@app/contracts';
import type { ChatCallContext, PreparedChatCall } from './chat-operation';
import type { UpstreamTarget } from './upstream-target';

/** An embeddings call ready to send, and the request its answer is read against (encoding, dimensions). */
export interface PreparedEmbeddingsCall extends PreparedChatCall {
  request: EmbeddingRequest;
}

/**
 * Embeddings with one provider: the client's OpenAI-shaped request as one upstream call, its
 * answer as OpenAI's `CreateEmbeddingResponse` (one embedding per input, in input order, encoded
 * as the request asked). Failures are thrown as for chat (see `ChatOperation`).
 */
export interface EmbeddingsOperation {
  /** The upstream's request, without any I/O; throws `invalid_request` naming the field for what the upstream cannot take. */
  prepare(target: UpstreamTarget, request: EmbeddingRequest): PreparedEmbeddingsCall;
  complete(call: PreparedEmbeddingsCall, context: ChatCallContext): Promise<CreateEmbeddingResponse>;
}

/** A vector as OpenAI's `encoding_format: base64` sends it: the base64 of its little-endian float32s. */
export function base64Embedding(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

/** The floats of a base64 vector ({@link base64Embedding}'s inverse). */
export function floatsOfBase64(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const floats: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4) floats.push(bytes.readFloatLE(offset));
  return floats;
}

/**
 * A vector cut to its first `dimensions` values and scaled back to length 1, as OpenAI shortens
 * `text-embedding-3-*` vectors; unchanged when it is not longer than that.
 */
export function shortenedEmbedding(vector: readonly number[], dimensions: number | undefined): readonly number[] {
  if (dimensions === undefined || vector.length <= dimensions) return vector;
  const cut = vector.slice(0, dimensions);
  const norm = Math.sqrt(cut.reduce((sum, v) => sum + v * v, 0));
  return norm > 0 ? cut.map((v) => v / norm) : cut;
}

/** One embedding of an answer, at its input's index, encoded as the request asked. */
export function embeddingAt(index: number, vector: readonly number[], request: Pick<EmbeddingRequest, 'encoding_format'>): Embedding {
  return { object: 'embedding', index, embedding: request.encoding_format === 'base64' ? base64Embedding(vector) : [...vector] };
}
