import { ANTHROPIC_ERROR, ANTHROPIC_MESSAGE, ANTHROPIC_STOP_REASON, ANTHROPIC_TEXT_BLOCK, ANTHROPIC_TOOL_USE_BLOCK } from './anthropic-message.shape';

/**
 * The events of a streamed Message, from Anthropic's API reference ("Streaming Messages"): each
 * SSE event's name equals its data's `type`. A stream is `message_start`, content blocks each
 * opened by `content_block_start`, filled by `content_block_delta`s and closed by
 * `content_block_stop`, then `message_delta` and `message_stop`; `ping` may come anywhere, and
 * `error` ends a stream that fails.
 */
const index = { type: 'integer', minimum: 0 } as const;
const event = (type: string, required: string[], properties: object) =>
  ({ type: 'object', required: ['type', ...required], properties: { type: { const: type }, ...properties } }) as const;

export const ANTHROPIC_STREAM_EVENTS: Record<string, object> = {
  message_start: event('message_start', ['message'], { message: ANTHROPIC_MESSAGE }),
  content_block_start: event('content_block_start', ['index', 'content_block'], {
    index,
    content_block: { oneOf: [ANTHROPIC_TEXT_BLOCK, ANTHROPIC_TOOL_USE_BLOCK] },
  }),
  content_block_delta: event('content_block_delta', ['index', 'delta'], {
    index,
    delta: {
      oneOf: [
        { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text_delta' }, text: { type: 'string' } } },
        { type: 'object', required: ['type', 'partial_json'], properties: { type: { const: 'input_json_delta' }, partial_json: { type: 'string' } } },
      ],
    },
  }),
  content_block_stop: event('content_block_stop', ['index'], { index }),
  message_delta: event('message_delta', ['delta', 'usage'], {
    delta: {
      type: 'object',
      required: ['stop_reason', 'stop_sequence'],
      properties: { stop_reason: ANTHROPIC_STOP_REASON, stop_sequence: { type: ['string', 'null'] } },
    },
    // Cumulative totals; output_tokens always, the others where they apply.
    usage: {
      type: 'object',
      required: ['output_tokens'],
      properties: { output_tokens: { type: 'integer', minimum: 0 }, input_tokens: { type: ['integer', 'null'], minimum: 0 } },
    },
  }),
  message_stop: event('message_stop', [], {}),
  ping: event('ping', [], {}),
  error: ANTHROPIC_ERROR,
};
