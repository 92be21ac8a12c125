/**
 * Anthropic's Messages API answers, from Anthropic's API reference (Messages: "Create a Message"
 * response; "Count tokens in a Message"; Errors) and the types Anthropic generates its SDKs from:
 * what a `Message`, its content blocks, its usage, a token count and an error must hold.
 */

const nonNegative = { type: 'integer', minimum: 0 } as const;

export const ANTHROPIC_TEXT_BLOCK = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text: { type: 'string' } },
} as const;

export const ANTHROPIC_TOOL_USE_BLOCK = {
  type: 'object',
  required: ['type', 'id', 'name', 'input'],
  properties: {
    type: { const: 'tool_use' },
    // A tool_result must name it back, and Anthropic's tool_use_id takes only these characters.
    id: { type: 'string', pattern: '^[a-zA-Z0-9_-]+$' },
    name: { type: 'string', minLength: 1 },
    input: { type: 'object' },
  },
} as const;

/** Why a message stopped; null only while it is still streaming (`message_start`). */
export const ANTHROPIC_STOP_REASON = {
  enum: ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded', null],
} as const;

export const ANTHROPIC_USAGE = {
  type: 'object',
  required: ['input_tokens', 'output_tokens'],
  properties: {
    input_tokens: nonNegative,
    output_tokens: nonNegative,
    cache_creation_input_tokens: { type: ['integer', 'null'], minimum: 0 },
    cache_read_input_tokens: { type: ['integer', 'null'], minimum: 0 },
  },
} as const;

/** The `Message` object: the answer of `POST /v1/messages`, and what `message_start` carries. */
export const ANTHROPIC_MESSAGE = {
  type: 'object',
  required: ['id', 'type', 'role', 'content', 'model', 'stop_reason', 'stop_sequence', 'usage'],
  properties: {
    id: { type: 'string', minLength: 1 },
    type: { const: 'message' },
    role: { const: 'assistant' },
    content: { type: 'array', items: { oneOf: [ANTHROPIC_TEXT_BLOCK, ANTHROPIC_TOOL_USE_BLOCK] } },
    model: { type: 'string', minLength: 1 },
    stop_reason: ANTHROPIC_STOP_REASON,
    stop_sequence: { type: ['string', 'null'] },
    usage: ANTHROPIC_USAGE,
  },
} as const;

/** `POST /v1/messages/count_tokens`. */
export const ANTHROPIC_TOKEN_COUNT = {
  type: 'object',
  required: ['input_tokens'],
  properties: { input_tokens: nonNegative },
} as const;

export const ANTHROPIC_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
] as const;

/** An error answer, and the data of a stream's `error` event. */
export const ANTHROPIC_ERROR = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: { type: { enum: ANTHROPIC_ERROR_TYPES }, message: { type: 'string', minLength: 1 } },
    },
    request_id: { type: ['string', 'null'] },
  },
} as const;
