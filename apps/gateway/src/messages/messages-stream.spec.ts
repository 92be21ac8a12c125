import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import { messagesFrames } from './messages-stream';

type Delta = ChatCompletionChunk['choices'][number]['delta'];
const chunk = (delta: Delta, finish: string | null = null, extra: object = {}): ChatStreamEvent => ({
  t: 'chunk',
  chunk: {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'upstream',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...extra }],
  },
});
const END: ChatStreamEvent = { t: 'end', usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } };
const toolDelta = (index: number, fields: { id?: string; name?: string; arguments?: string }): Delta => ({
  tool_calls: [{ index, ...(fields.id ? { id: fields.id, type: 'function' as const } : {}), function: { name: fields.name, arguments: fields.arguments } }],
});

async function frames(events: ChatStreamEvent[]) {
  const source = (async function* () {
    yield* events;
  })();
  const out: { event?: string; data: any }[] = [];
  for await (const frame of messagesFrames(source, { model: 'claude-haiku-4-5', stopSequences: ['END'], requestId: 'req-9', estimatedInputTokens: 7 })) {
    out.push({ event: frame.event, data: JSON.parse(frame.data) });
  }
  for (const frame of out) expect(frame.data.type).toBe(frame.event);
  return out;
}
const names = (out: { event?: string }[]) => out.map((frame) => frame.event);
/** The frames between `ping` and `message_delta`, as compact [event, index, what] rows. */
const blocks = (out: { event?: string; data: any }[]) =>
  out.filter((f) => f.event?.startsWith('content_block')).map(({ event, data }) => [event, data.index, data.content_block ?? data.delta ?? null]);

describe('messagesFrames', () => {
  it('a text answer: message_start with the estimate, ping, one text block, message_delta with the usage, message_stop', async () => {
    const out = await frames([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), END]);
    expect(names(out)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(out[0].data.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-haiku-4-5',
      stop_reason: null,
      usage: { input_tokens: 7, output_tokens: 0 },
    });
    expect(out[0].data.message.id).toMatch(/^msg_/);
    expect(blocks(out)).toEqual([
      ['content_block_start', 0, { type: 'text', text: '' }],
      ['content_block_delta', 0, { type: 'text_delta', text: 'Hel' }],
      ['content_block_delta', 0, { type: 'text_delta', text: 'lo' }],
      ['content_block_stop', 0, null],
    ]);
    expect(out[6].data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 9, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('text then two tool calls: a block each, arguments as input_json_delta, stop_reason tool_use', async () => {
    const out = await frames([
      chunk({ role: 'assistant', content: 'Checking.' }),
      chunk(toolDelta(0, { id: 'call_a', name: 'get_weather', arguments: '' })),
      chunk(toolDelta(0, { arguments: '{"city":' })),
      chunk(toolDelta(0, { arguments: '"Paris"}' })),
      chunk(toolDelta(1, { id: 'call_b', name: 'now', arguments: '{}' })),
      chunk({}, 'tool_calls'),
      END,
    ]);
    expect(blocks(out)).toEqual([
      ['content_block_start', 0, { type: 'text', text: '' }],
      ['content_block_delta', 0, { type: 'text_delta', text: 'Checking.' }],
      ['content_block_stop', 0, null],
      ['content_block_start', 1, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} }],
      ['content_block_delta', 1, { type: 'input_json_delta', partial_json: '{"city":' }],
      ['content_block_delta', 1, { type: 'input_json_delta', partial_json: '"Paris"}' }],
      ['content_block_stop', 1, null],
      ['content_block_start', 2, { type: 'tool_use', id: 'call_b', name: 'now', input: {} }],
      ['content_block_delta', 2, { type: 'input_json_delta', partial_json: '{}' }],
      ['content_block_stop', 2, null],
    ]);
    expect(out.at(-2)?.data.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
  });

  it.each<[string, ChatStreamEvent[], object]>([
    ['length', [chunk({ content: 'x' }), chunk({}, 'length'), END], { stop_reason: 'max_tokens', stop_sequence: null }],
    [
      'a stop sequence the backend names',
      [chunk({ content: 'x' }), chunk({}, 'stop', { stop_reason: 'END' }), END],
      { stop_reason: 'stop_sequence', stop_sequence: 'END' },
    ],
    [
      'tool calls under a finish reason of stop',
      [chunk(toolDelta(0, { id: 'c', name: 'f', arguments: '{}' })), chunk({}, 'stop'), END],
      { stop_reason: 'tool_use', stop_sequence: null },
    ],
  ])('message_delta says why it stopped: %s', async (_case, events, delta) => {
    expect((await frames(events)).at(-2)?.data.delta).toEqual(delta);
  });

  it('an empty answer has no content block', async () => {
    const out = await frames([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop'), END]);
    expect(names(out)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
  });

  it("a failure after the stream began is Anthropic's error event, and nothing follows", async () => {
    const error = new SwitchyardError('upstream_error', 'the upstream broke off');
    const out = await frames([chunk({ content: 'x' }), { t: 'error', error: error.toWire() }, chunk({ content: 'late' })]);
    expect(names(out)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta', 'error']);
    expect(out.at(-1)?.data).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'the upstream broke off (request id req-9)' },
      request_id: 'req-9',
    });
  });
});
