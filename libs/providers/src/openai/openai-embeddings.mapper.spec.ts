import type { EmbeddingRequest } from '@app/contracts';
import { base64Embedding } from '../embeddings-operation';
import { fromOpenAIEmbeddingsResponse, toOpenAIEmbeddingsRequest } from './openai-embeddings.mapper';

describe('toOpenAIEmbeddingsRequest', () => {
  it('swaps in the upstream model, asks for floats and passes input, dimensions, user and unknown fields through', () => {
    const request: EmbeddingRequest = {
      model: 'client-name',
      input: [[1, 2], [3]],
      dimensions: 256,
      encoding_format: 'base64',
      user: 'u-1',
      vendor_extra: true,
    };
    expect(toOpenAIEmbeddingsRequest(request, 'text-embedding-3-small')).toEqual({
      model: 'text-embedding-3-small',
      input: [[1, 2], [3]],
      dimensions: 256,
      encoding_format: 'float',
      user: 'u-1',
      vendor_extra: true,
    });
  });
});

describe('fromOpenAIEmbeddingsResponse', () => {
  const answer = (data: unknown[], extra: object = {}) => ({
    object: 'list',
    data,
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 5, total_tokens: 5 },
    ...extra,
  });
  const item = (index: number, embedding: unknown) => ({ object: 'embedding', index, embedding });

  it('is a CreateEmbeddingResponse in input order, with usage', () => {
    const request: EmbeddingRequest = { model: 'm', input: ['a', 'b'] };
    expect(fromOpenAIEmbeddingsResponse(answer([item(1, [0.25]), item(0, [0.5])]), request)).toEqual({
      object: 'list',
      data: [item(0, [0.5]), item(1, [0.25])],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
  });

  it('encodes each vector as base64 when the client asked for it', () => {
    const request: EmbeddingRequest = { model: 'm', input: 'a', encoding_format: 'base64' };
    expect(fromOpenAIEmbeddingsResponse(answer([item(0, [0.5, -0.5])]), request)?.data).toEqual([item(0, base64Embedding([0.5, -0.5]))]);
  });

  it('decodes an upstream that answered in base64 anyway when the client asked for floats', () => {
    const request: EmbeddingRequest = { model: 'm', input: 'a' };
    expect(fromOpenAIEmbeddingsResponse(answer([item(0, base64Embedding([0.5, -0.5]))]), request)?.data).toEqual([item(0, [0.5, -0.5])]);
  });

  it('shortens vectors longer than dimensions (a server that ignored it) to length 1', () => {
    const request: EmbeddingRequest = { model: 'm', input: 'a', dimensions: 2 };
    expect(fromOpenAIEmbeddingsResponse(answer([item(0, [3, 4, 12])]), request)?.data).toEqual([item(0, [0.6, 0.8])]);
  });

  it('fills in what some OpenAI-compatible servers leave out: index, usage, model', () => {
    const request: EmbeddingRequest = { model: 'm', input: ['a', 'b'] };
    expect(fromOpenAIEmbeddingsResponse({ data: [{ embedding: [1] }, { embedding: [2] }] }, request)).toEqual({
      object: 'list',
      data: [item(0, [1]), item(1, [2])],
      model: 'm',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  it.each([
    ['not an object', 'oops'],
    ['no data', { object: 'list' }],
    ['an item without a vector', { data: [{ index: 0 }] }],
    ['a vector of non-numbers', { data: [{ index: 0, embedding: ['x'] }] }],
  ])('is undefined for %s', (_case, body) => {
    expect(fromOpenAIEmbeddingsResponse(body, { model: 'm', input: 'a' })).toBeUndefined();
  });
});
