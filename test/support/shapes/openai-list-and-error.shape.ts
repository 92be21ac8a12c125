/**
 * OpenAI's `ListModelsResponse` (with `Model`) and `ErrorResponse` (with `Error`), from
 * `components.schemas` of github.com/openai/openai-openapi: every field they require.
 */

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });

export const MODEL_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: { id: { type: 'string' }, object: { const: 'model' }, created: { type: 'integer' }, owned_by: { type: 'string' } },
};

export const LIST_MODELS_SHAPE = {
  type: 'object',
  required: ['object', 'data'],
  properties: { object: { const: 'list' }, data: { type: 'array', items: MODEL_SHAPE } },
};

export const OPENAI_ERROR_SHAPE = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'message', 'param', 'code'],
      properties: { type: { type: 'string' }, message: { type: 'string' }, param: nullable({ type: 'string' }), code: nullable({ type: 'string' }) },
    },
  },
};
