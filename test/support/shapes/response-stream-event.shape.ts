import { OUTPUT_ITEM_SHAPE, OUTPUT_TEXT_SHAPE, RESPONSE_SHAPE } from './response.shape';

/**
 * OpenAI's `ResponseStreamEvent` (github.com/openai/openai-openapi), for the events a Response
 * over a chat backend emits: each event's required fields and their types, by its `type`.
 * An event of another type does not match.
 */

const int = { type: 'integer', minimum: 0 };
const str = { type: 'string' };

const EVENTS: Record<string, { required: string[]; properties: Record<string, unknown> }> = {
  'response.created': { required: ['response'], properties: { response: RESPONSE_SHAPE } },
  'response.in_progress': { required: ['response'], properties: { response: RESPONSE_SHAPE } },
  'response.completed': { required: ['response'], properties: { response: RESPONSE_SHAPE } },
  'response.incomplete': { required: ['response'], properties: { response: RESPONSE_SHAPE } },
  'response.failed': { required: ['response'], properties: { response: RESPONSE_SHAPE } },
  'response.output_item.added': { required: ['output_index', 'item'], properties: { output_index: int, item: OUTPUT_ITEM_SHAPE } },
  'response.output_item.done': { required: ['output_index', 'item'], properties: { output_index: int, item: OUTPUT_ITEM_SHAPE } },
  'response.content_part.added': {
    required: ['item_id', 'output_index', 'content_index', 'part'],
    properties: { item_id: str, output_index: int, content_index: int, part: OUTPUT_TEXT_SHAPE },
  },
  'response.content_part.done': {
    required: ['item_id', 'output_index', 'content_index', 'part'],
    properties: { item_id: str, output_index: int, content_index: int, part: OUTPUT_TEXT_SHAPE },
  },
  'response.output_text.delta': {
    required: ['item_id', 'output_index', 'content_index', 'delta', 'logprobs'],
    properties: { item_id: str, output_index: int, content_index: int, delta: str, logprobs: { type: 'array' } },
  },
  'response.output_text.done': {
    required: ['item_id', 'output_index', 'content_index', 'text', 'logprobs'],
    properties: { item_id: str, output_index: int, content_index: int, text: str, logprobs: { type: 'array' } },
  },
  'response.function_call_arguments.delta': { required: ['item_id', 'output_index', 'delta'], properties: { item_id: str, output_index: int, delta: str } },
  'response.function_call_arguments.done': {
    required: ['item_id', 'name', 'output_index', 'arguments'],
    properties: { item_id: str, name: str, output_index: int, arguments: str },
  },
};

export const RESPONSE_STREAM_EVENT_SHAPE = {
  type: 'object',
  required: ['type', 'sequence_number'],
  properties: { type: { enum: Object.keys(EVENTS) }, sequence_number: int },
  allOf: Object.entries(EVENTS).map(([type, shape]) => ({
    if: { properties: { type: { const: type } } },
    then: { required: shape.required, properties: shape.properties },
  })),
};
