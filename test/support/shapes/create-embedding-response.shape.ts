/**
 * OpenAI's `CreateEmbeddingResponse` (openapi.yaml): `object` "list", `data` of `Embedding`
 * (`object` "embedding", `index`, `embedding`), `model`, `usage` (`prompt_tokens`,
 * `total_tokens`), all required. The spec types `embedding` as numbers; with
 * `encoding_format: base64` OpenAI sends the base64 of little-endian float32s instead.
 */
export const CREATE_EMBEDDING_RESPONSE = {
  type: 'object',
  required: ['object', 'data', 'model', 'usage'],
  properties: {
    object: { const: 'list' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['object', 'index', 'embedding'],
        properties: {
          object: { const: 'embedding' },
          index: { type: 'integer', minimum: 0 },
          embedding: {
            oneOf: [
              { type: 'array', items: { type: 'number' } },
              { type: 'string', contentEncoding: 'base64' },
            ],
          },
        },
      },
    },
    model: { type: 'string' },
    usage: {
      type: 'object',
      required: ['prompt_tokens', 'total_tokens'],
      properties: { prompt_tokens: { type: 'integer', minimum: 0 }, total_tokens: { type: 'integer', minimum: 0 } },
    },
  },
};
