/**
 * OpenAI's legacy completions answer, from OpenAI's OpenAPI specification
 * (`CreateCompletionResponse`): what a `text_completion` and each of its choices must hold. A
 * streamed answer's chunks have the same shape, except that a choice's `finish_reason` is null
 * until its last chunk and the usage chunk has no choices, as OpenAI sends them.
 */

const nonNegative = { type: 'integer', minimum: 0 } as const;

const USAGE = {
  type: 'object',
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
  properties: { prompt_tokens: nonNegative, completion_tokens: nonNegative, total_tokens: nonNegative },
} as const;

const choice = (finishReason: object) =>
  ({
    type: 'object',
    required: ['text', 'index', 'logprobs', 'finish_reason'],
    properties: {
      text: { type: 'string' },
      index: nonNegative,
      logprobs: {
        type: ['object', 'null'],
        properties: {
          tokens: { type: 'array', items: { type: 'string' } },
          token_logprobs: { type: 'array', items: { type: 'number' } },
          top_logprobs: { type: 'array', items: { type: 'object' } },
          text_offset: { type: 'array', items: { type: 'integer' } },
        },
      },
      finish_reason: finishReason,
    },
  }) as const;

const head = {
  id: { type: 'string', minLength: 1 },
  object: { const: 'text_completion' },
  created: nonNegative,
  model: { type: 'string', minLength: 1 },
  system_fingerprint: { type: 'string' },
} as const;

export const TEXT_COMPLETION_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
  properties: {
    ...head,
    choices: { type: 'array', minItems: 1, items: choice({ enum: ['stop', 'length', 'content_filter'] }) },
    usage: USAGE,
  },
} as const;

export const TEXT_COMPLETION_CHUNK_SHAPE = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices'],
  properties: {
    ...head,
    choices: { type: 'array', items: choice({ enum: ['stop', 'length', 'content_filter', null] }) },
    usage: { anyOf: [USAGE, { type: 'null' }] },
  },
} as const;
