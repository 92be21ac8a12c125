import type { EmbeddingRequest } from '@app/contracts';
import { base64Embedding } from '../embeddings-operation';
import { fromOllamaEmbedResponse, isOllamaEmbedResponse, toOllamaEmbedRequest } from './ollama-embed.mapper';

const target = (extraParams?: Record<string, unknown>) => ({ upstreamModel: 'nomic-embed-text', extraParams });

describe('toOllamaEmbedRequest', () => {
  it('carries every input in one body, a single string as a one-item array', () => {
    expect(toOllamaEmbedRequest({ model: 'client', input: ['a', 'b', 'c'] }, target())).toEqual({ model: 'nomic-embed-text', input: ['a', 'b', 'c'] });
    expect(toOllamaEmbedRequest({ model: 'client', input: 'only' }, target())).toEqual({ model: 'nomic-embed-text', input: ['only'] });
  });

  it("sends the deployment's truncate, keep_alive and options, and the request's dimensions; never user or encoding_format", () => {
    const request: EmbeddingRequest = { model: 'client', input: ['a'], dimensions: 64, user: 'u', encoding_format: 'base64' };
    const params = { truncate: false, keep_alive: '10m', options: { num_ctx: 2048 }, weight: 2 };
    expect(toOllamaEmbedRequest(request, target(params))).toEqual({
      model: 'nomic-embed-text',
      input: ['a'],
      truncate: false,
      keep_alive: '10m',
      options: { num_ctx: 2048 },
      dimensions: 64,
    });
    expect(toOllamaEmbedRequest({ model: 'client', input: 'a' }, target({ keep_alive: -1 }))).toMatchObject({ keep_alive: -1 });
  });

  it('leaves out settings of a shape Ollama does not take', () => {
    expect(toOllamaEmbedRequest({ model: 'client', input: 'a' }, target({ truncate: 'yes', keep_alive: {}, options: 'x' }))).toEqual({
      model: 'nomic-embed-text',
      input: ['a'],
    });
  });

  it.each([
    ['token ids', [1, 2, 3]],
    ['arrays of token ids', [[1, 2], [3]]],
  ])('refuses %s as a 400 that says why', (_case, input) => {
    expect(() => toOllamaEmbedRequest({ model: 'client', input }, target())).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400, param: 'input', message: expect.stringContaining('ollama embeds text only') }),
    );
  });
});

describe('fromOllamaEmbedResponse', () => {
  const body = {
    model: 'nomic-embed-text',
    embeddings: [
      [0.5, -0.5],
      [0.25, 0],
    ],
    prompt_eval_count: 7,
  };

  it('is a CreateEmbeddingResponse in input order with the prompt count as usage', () => {
    expect(fromOllamaEmbedResponse(body, { model: 'client', input: ['a', 'b'] }, 'nomic-embed-text')).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -0.5] },
        { object: 'embedding', index: 1, embedding: [0.25, 0] },
      ],
      model: 'nomic-embed-text',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('encodes base64 when asked', () => {
    const answer = fromOllamaEmbedResponse(body, { model: 'client', input: ['a', 'b'], encoding_format: 'base64' }, 'm');
    expect(answer.data.map((d) => d.embedding)).toEqual([base64Embedding([0.5, -0.5]), base64Embedding([0.25, 0])]);
  });

  it('shortens vectors longer than dimensions (an Ollama that ignores it) and scales them to length 1', () => {
    const answer = fromOllamaEmbedResponse({ embeddings: [[3, 4, 12]] }, { model: 'client', input: 'a', dimensions: 2 }, 'nomic-embed-text');
    expect(answer.data[0].embedding).toEqual([0.6, 0.8]);
    expect(answer.model).toBe('nomic-embed-text');
    expect(answer.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
  });
});

describe('isOllamaEmbedResponse', () => {
  it('wants one vector of numbers per input', () => {
    expect(isOllamaEmbedResponse({ embeddings: [[1], [2]] }, 2)).toBe(true);
    expect(isOllamaEmbedResponse({ embeddings: [[1]] }, 2)).toBe(false);
    expect(isOllamaEmbedResponse({ embeddings: [['x'], [2]] }, 2)).toBe(false);
    expect(isOllamaEmbedResponse({ embedding: [1] }, 1)).toBe(false);
  });
});
