import { FUNCTION_CALL_SHAPE, OUTPUT_MESSAGE_SHAPE } from './response.shape';

/**
 * OpenAI's `ResponseItemList` (github.com/openai/openai-openapi) as `GET /v1/responses/{id}/input_items`
 * answers it, for the input items a chat backend takes: `InputMessageResource` (user, system and
 * developer messages), `OutputMessage` (assistant turns), `FunctionToolCallResource` and
 * `FunctionToolCallOutputResource`, each with its id.
 */

const INPUT_MESSAGE = {
  type: 'object',
  required: ['id', 'type', 'role', 'content'],
  properties: {
    id: { type: 'string' },
    type: { const: 'message' },
    role: { enum: ['user', 'system', 'developer'] },
    status: { enum: ['in_progress', 'completed', 'incomplete'] },
    content: {
      type: 'array',
      items: { type: 'object', required: ['type'], properties: { type: { enum: ['input_text', 'input_image', 'input_file'] } } },
    },
  },
};

const FUNCTION_CALL_OUTPUT = {
  type: 'object',
  required: ['id', 'type', 'call_id', 'output', 'status'],
  properties: {
    id: { type: 'string' },
    type: { const: 'function_call_output' },
    call_id: { type: 'string' },
    output: { oneOf: [{ type: 'string' }, { type: 'array' }] },
    status: { enum: ['in_progress', 'completed', 'incomplete'] },
  },
};

export const RESPONSE_INPUT_ITEMS_SHAPE = {
  type: 'object',
  required: ['object', 'data', 'has_more', 'first_id', 'last_id'],
  properties: {
    object: { const: 'list' },
    data: {
      type: 'array',
      items: {
        oneOf: [
          INPUT_MESSAGE,
          OUTPUT_MESSAGE_SHAPE,
          { ...FUNCTION_CALL_SHAPE, required: [...FUNCTION_CALL_SHAPE.required, 'id', 'status'] },
          FUNCTION_CALL_OUTPUT,
        ],
      },
    },
    has_more: { type: 'boolean' },
    first_id: { type: 'string' },
    last_id: { type: 'string' },
  },
};
