/**
 * OpenAI's Response object (`components.schemas.Response` of github.com/openai/openai-openapi,
 * with its `OutputMessage`, `OutputTextContent`, `RefusalContent`, `FunctionToolCall`,
 * `ResponseUsage` and `ResponseError`): the fields it requires, their types and enums, for the
 * output items a chat backend can produce (messages and function calls).
 */

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const ITEM_STATUS = { enum: ['in_progress', 'completed', 'incomplete'] };

export const OUTPUT_TEXT_SHAPE = {
  type: 'object',
  required: ['type', 'text', 'annotations', 'logprobs'],
  properties: { type: { const: 'output_text' }, text: { type: 'string' }, annotations: { type: 'array' }, logprobs: { type: 'array' } },
};

const REFUSAL = { type: 'object', required: ['type', 'refusal'], properties: { type: { const: 'refusal' }, refusal: { type: 'string' } } };

export const OUTPUT_MESSAGE_SHAPE = {
  type: 'object',
  required: ['id', 'type', 'role', 'content', 'status'],
  properties: {
    id: { type: 'string' },
    type: { const: 'message' },
    role: { const: 'assistant' },
    status: ITEM_STATUS,
    content: { type: 'array', items: { oneOf: [OUTPUT_TEXT_SHAPE, REFUSAL] } },
  },
};

export const FUNCTION_CALL_SHAPE = {
  type: 'object',
  required: ['type', 'call_id', 'name', 'arguments'],
  properties: {
    id: { type: 'string' },
    type: { const: 'function_call' },
    call_id: { type: 'string' },
    name: { type: 'string' },
    arguments: { type: 'string' },
    status: ITEM_STATUS,
  },
};

export const OUTPUT_ITEM_SHAPE = { oneOf: [OUTPUT_MESSAGE_SHAPE, FUNCTION_CALL_SHAPE] };

const USAGE = {
  type: 'object',
  required: ['input_tokens', 'input_tokens_details', 'output_tokens', 'output_tokens_details', 'total_tokens'],
  properties: {
    input_tokens: { type: 'integer' },
    input_tokens_details: {
      type: 'object',
      required: ['cached_tokens', 'cache_write_tokens'],
      properties: { cached_tokens: { type: 'integer' }, cache_write_tokens: { type: 'integer' } },
    },
    output_tokens: { type: 'integer' },
    output_tokens_details: { type: 'object', required: ['reasoning_tokens'], properties: { reasoning_tokens: { type: 'integer' } } },
    total_tokens: { type: 'integer' },
  },
};

const ERROR_CODES = ['server_error', 'rate_limit_exceeded', 'invalid_prompt'];

export const RESPONSE_SHAPE = {
  type: 'object',
  required: [
    'id',
    'object',
    'created_at',
    'error',
    'incomplete_details',
    'instructions',
    'model',
    'tools',
    'output',
    'parallel_tool_calls',
    'metadata',
    'tool_choice',
    'temperature',
    'top_p',
  ],
  properties: {
    id: { type: 'string', pattern: '^resp_' },
    object: { const: 'response' },
    status: { enum: ['completed', 'failed', 'in_progress', 'cancelled', 'queued', 'incomplete'] },
    created_at: { type: 'number' },
    completed_at: nullable({ type: 'number' }),
    error: nullable({ type: 'object', required: ['code', 'message'], properties: { code: { enum: ERROR_CODES }, message: { type: 'string' } } }),
    incomplete_details: nullable({ type: 'object', properties: { reason: { enum: ['max_output_tokens', 'content_filter'] } } }),
    instructions: nullable({ oneOf: [{ type: 'string' }, { type: 'array' }] }),
    model: { type: 'string' },
    output: { type: 'array', items: OUTPUT_ITEM_SHAPE },
    output_text: nullable({ type: 'string' }),
    usage: USAGE,
    parallel_tool_calls: { type: 'boolean' },
    metadata: nullable({ type: 'object', additionalProperties: { type: 'string' } }),
    tool_choice: { oneOf: [{ enum: ['none', 'auto', 'required'] }, { type: 'object', required: ['type'] }] },
    tools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'name', 'strict', 'parameters'],
        properties: {
          type: { const: 'function' },
          name: { type: 'string' },
          description: nullable({ type: 'string' }),
          parameters: nullable({ type: 'object' }),
          strict: nullable({ type: 'boolean' }),
        },
      },
    },
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    max_output_tokens: nullable({ type: 'integer' }),
    previous_response_id: nullable({ type: 'string' }),
    reasoning: nullable({ type: 'object' }),
    text: {
      type: 'object',
      properties: { format: { type: 'object', required: ['type'], properties: { type: { enum: ['text', 'json_schema', 'json_object'] } } } },
    },
    truncation: nullable({ enum: ['auto', 'disabled'] }),
    background: nullable({ type: 'boolean' }),
    user: { type: 'string' },
  },
};
