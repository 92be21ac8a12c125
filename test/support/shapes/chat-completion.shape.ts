/**
 * OpenAI's chat answers (`components.schemas` of github.com/openai/openai-openapi):
 * `CreateChatCompletionResponse` with its `ChatCompletionResponseMessage` (`refusal` is required,
 * null when there is none), `ChatCompletionMessageToolCall` and `CompletionUsage`; and
 * `CreateChatCompletionStreamResponse` with its `ChatCompletionStreamResponseDelta`.
 */

const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const FINISH_REASON = { enum: ['stop', 'length', 'tool_calls', 'content_filter', 'function_call'] };

export const COMPLETION_USAGE_SHAPE = {
  type: 'object',
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
  properties: { prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
};

const TOOL_CALL = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string' },
    type: { const: 'function' },
    function: { type: 'object', required: ['name', 'arguments'], properties: { name: { type: 'string' }, arguments: { type: 'string' } } },
  },
};

const LOGPROBS = nullable({
  type: 'object',
  required: ['content', 'refusal'],
  properties: { content: nullable({ type: 'array' }), refusal: nullable({ type: 'array' }) },
});

export const CHAT_COMPLETION_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    id: { type: 'string' },
    object: { const: 'chat.completion' },
    created: { type: 'integer' },
    model: { type: 'string' },
    system_fingerprint: { type: 'string' },
    service_tier: nullable({ type: 'string' }),
    usage: COMPLETION_USAGE_SHAPE,
    choices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['finish_reason', 'index', 'message', 'logprobs'],
        properties: {
          index: { type: 'integer' },
          finish_reason: FINISH_REASON,
          logprobs: LOGPROBS,
          message: {
            type: 'object',
            required: ['role', 'content', 'refusal'],
            properties: {
              role: { const: 'assistant' },
              content: nullable({ type: 'string' }),
              refusal: nullable({ type: 'string' }),
              tool_calls: { type: 'array', items: TOOL_CALL },
            },
          },
        },
      },
    },
  },
};

const TOOL_CALL_CHUNK = {
  type: 'object',
  required: ['index'],
  properties: {
    index: { type: 'integer' },
    id: { type: 'string' },
    type: { const: 'function' },
    function: { type: 'object', properties: { name: { type: 'string' }, arguments: { type: 'string' } } },
  },
};

export const CHAT_COMPLETION_CHUNK_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    id: { type: 'string' },
    object: { const: 'chat.completion.chunk' },
    created: { type: 'integer' },
    model: { type: 'string' },
    system_fingerprint: { type: 'string' },
    usage: nullable(COMPLETION_USAGE_SHAPE),
    choices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['delta', 'finish_reason', 'index'],
        properties: {
          index: { type: 'integer' },
          finish_reason: nullable(FINISH_REASON),
          logprobs: LOGPROBS,
          delta: {
            type: 'object',
            properties: {
              role: { enum: ['developer', 'system', 'user', 'assistant', 'tool'] },
              content: nullable({ type: 'string' }),
              refusal: nullable({ type: 'string' }),
              tool_calls: { type: 'array', items: TOOL_CALL_CHUNK },
            },
          },
        },
      },
    },
  },
};
