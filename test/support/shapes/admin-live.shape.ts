/**
 * Switchyard's own admin answers behind the admin UI's charts and live pages (no OpenAI or
 * LiteLLM counterpart): GET /spend/activity, GET /queue/status and GET /model/status.
 */
const numberOrNull = { type: ['number', 'null'] };
const isoTime = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$' };

export const SPEND_ACTIVITY_SHAPE = {
  type: 'object',
  required: ['granularity', 'group_by', 'start_date', 'end_date', 'data'],
  properties: {
    granularity: { enum: ['hour', 'day'] },
    group_by: { enum: ['key', 'model', 'tag', null] },
    start_date: isoTime,
    end_date: isoTime,
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['bucket', 'group', 'label', 'requests', 'total_tokens', 'spend'],
        properties: {
          bucket: isoTime,
          group: { type: ['string', 'null'] },
          label: { type: 'string' },
          requests: { type: 'number', minimum: 1 },
          total_tokens: { type: 'number', minimum: 0 },
          spend: { type: 'number', minimum: 0 },
        },
      },
    },
  },
} as const;

export const QUEUE_STATUS_SHAPE = {
  type: 'object',
  required: ['data', 'time'],
  properties: {
    time: isoTime,
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['queue', 'waiting', 'active', 'delayed', 'wait_ms', 'workers', 'total_concurrency'],
        properties: {
          queue: { type: 'string' },
          waiting: { type: 'integer', minimum: 0 },
          active: { type: 'integer', minimum: 0 },
          delayed: { type: 'integer', minimum: 0 },
          wait_ms: {
            type: 'object',
            required: ['samples', 'p50', 'p90', 'p99'],
            properties: { samples: { type: 'integer', minimum: 0 }, p50: numberOrNull, p90: numberOrNull, p99: numberOrNull },
          },
          workers: {
            type: ['array', 'null'],
            items: { type: 'object', required: ['name', 'concurrency'], properties: { name: { type: 'string' }, concurrency: { type: ['integer', 'null'] } } },
          },
          total_concurrency: { type: ['integer', 'null'], minimum: 0 },
        },
      },
    },
  },
} as const;

export const MODEL_STATUS_SHAPE = {
  type: 'object',
  required: ['data', 'time'],
  properties: {
    time: isoTime,
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['model_name', 'model_id', 'provider', 'queue', 'state', 'paused_until', 'cooling_down_until', 'in_flight', 'in_flight_here', 'recent'],
        properties: {
          model_name: { type: 'string' },
          model_id: { type: 'string' },
          provider: { type: 'string' },
          queue: { type: 'string' },
          state: { enum: ['serving', 'cooling_down', 'paused'] },
          paused_until: { anyOf: [isoTime, { type: 'null' }] },
          cooling_down_until: { anyOf: [isoTime, { type: 'null' }] },
          in_flight: { type: ['integer', 'null'], minimum: 0 },
          in_flight_here: { type: 'integer', minimum: 0 },
          recent: {
            type: 'object',
            required: ['calls', 'error_rate', 'latency_ms'],
            properties: {
              calls: { type: 'integer', minimum: 0 },
              error_rate: { type: ['number', 'null'], minimum: 0, maximum: 1 },
              latency_ms: { type: 'object', required: ['p50', 'p95'], properties: { p50: numberOrNull, p95: numberOrNull } },
            },
          },
        },
      },
    },
  },
} as const;
