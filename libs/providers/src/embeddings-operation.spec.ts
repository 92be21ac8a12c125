import { base64Embedding, embeddingAt, floatsOfBase64, shortenedEmbedding } from './embeddings-operation';

describe('base64Embedding', () => {
  it("is OpenAI's encoding: the base64 of little-endian float32s, which decodes back to the same floats", () => {
    const vector = [0.5, -0.25, 1, 0];
    const encoded = base64Embedding(vector);
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes).toHaveLength(16);
    expect(bytes.readFloatLE(4)).toBe(-0.25);
    // As the official SDK decodes it.
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 4))).toEqual(vector);
    expect(floatsOfBase64(encoded)).toEqual(vector);
  });

  it('rounds to float32, as OpenAI does', () => {
    expect(floatsOfBase64(base64Embedding([0.1]))[0]).toBeCloseTo(0.1, 7);
  });
});

describe('shortenedEmbedding', () => {
  it('cuts a longer vector to its first values and scales them back to length 1', () => {
    expect(shortenedEmbedding([3, 4, 12], 2)).toEqual([0.6, 0.8]);
  });

  it.each([
    ['no dimensions asked for', undefined],
    ['as many as it has', 3],
    ['more than it has', 5],
  ])('leaves it as it is with %s', (_case, dimensions) => {
    expect(shortenedEmbedding([3, 4, 12], dimensions)).toEqual([3, 4, 12]);
  });
});

describe('embeddingAt', () => {
  it('is an embedding object at its index, floats unless base64 was asked for', () => {
    expect(embeddingAt(2, [0.5], {})).toEqual({ object: 'embedding', index: 2, embedding: [0.5] });
    expect(embeddingAt(0, [0.5], { encoding_format: 'float' })).toEqual({ object: 'embedding', index: 0, embedding: [0.5] });
    expect(embeddingAt(1, [0.5], { encoding_format: 'base64' })).toEqual({ object: 'embedding', index: 1, embedding: base64Embedding([0.5]) });
  });
});
