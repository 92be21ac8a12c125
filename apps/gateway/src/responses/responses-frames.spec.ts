import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import { RESPONSE_STREAM_EVENT_SHAPE, expectShape } from '@test/support';
import { parseBody } from '../http/parse-body';
import type { ResponseObject } from './response-object';
import { ResponseStreamBuilder } from './response-stream-builder';
import { responseFrames } from './responses-frames';
import { responsesRequestSchema } from './responses-request.schema';

type Delta = ChatCompletionChunk['choices'][number]['delta'];
const chunk = (delta: Delta, finish: string | null = null): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] },
});
const USAGE = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
const END: ChatStreamEvent = { t: 'end', usage: USAGE };
const failure = (code: 'upstream_error' | 'rate_limit_exceeded'): ChatStreamEvent => ({
  t: 'error',
  error: { ...new SwitchyardError(code, 'the upstream broke off').toWire(), usage: USAGE },
});
const callStart = (index: number, id: string, name: string): Delta => ({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] });
const callArgs = (index: number, args: string): Delta => ({ tool_calls: [{ index, function: { arguments: args } }] });

/** The stream's events as a client parses them, each checked against OpenAI's event shapes; and what was kept. */
async function run(events: ChatStreamEvent[], keep: (r: ResponseObject) => ResponseObject = (r) => r) {
  let n = 0;
  const request = parseBody(responsesRequestSchema, { model: 'ollama/gpt-oss:20b', input: 'hi', stream: true });
  const builder = new ResponseStreamBuilder({ id: 'resp_1', createdAt: 1, request, store: true }, (prefix) => `${prefix}_${++n}`);
  const kept: ResponseObject[] = [];
  const source = (async function* () {
    yield* events;
  })();
  const out: any[] = [];
  const frames = responseFrames(source, builder, { requestId: 'req-7', keep: async (r) => (kept.push(r), keep(r)) });
  for await (const frame of frames) {
    const event = JSON.parse(frame.data);
    expect(frame.event).toBe(event.type);
    expectShape(RESPONSE_STREAM_EVENT_SHAPE, event, `event ${out.length}`);
    out.push(event);
  }
  expect(out.map((e) => e.sequence_number)).toEqual(out.map((_e, i) => i));
  return { events: out, types: out.map((e) => e.type), last: out.at(-1), kept };
}

const START = ['response.created', 'response.in_progress'];
const TEXT_OPEN = ['response.output_item.added', 'response.content_part.added'];
const TEXT_CLOSE = ['response.output_text.done', 'response.content_part.done', 'response.output_item.done'];
const CALL_CLOSE = ['response.function_call_arguments.done', 'response.output_item.done'];

describe('responseFrames', () => {
  it.each<[string, ChatStreamEvent[], string[]]>([
    [
      'text: a message item, its part, the deltas, then each done, then completed',
      [chunk({ role: 'assistant', content: '' }), chunk({ content: 'He' }), chunk({ content: 'llo' }), chunk({}, 'stop'), END],
      [...START, ...TEXT_OPEN, 'response.output_text.delta', 'response.output_text.delta', ...TEXT_CLOSE, 'response.completed'],
    ],
    [
      'a tool call as OpenAI streams it: its item, argument deltas, the arguments done',
      [chunk(callStart(0, 'call_a', 'lookup')), chunk(callArgs(0, '{"q":')), chunk(callArgs(0, '"x"}')), chunk({}, 'tool_calls'), END],
      [
        ...START,
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.delta',
        ...CALL_CLOSE,
        'response.completed',
      ],
    ],
    [
      'a whole tool call in one chunk, as the Ollama wire gives it',
      [chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] }, 'tool_calls'), END],
      [...START, 'response.output_item.added', 'response.function_call_arguments.delta', ...CALL_CLOSE, 'response.completed'],
    ],
    [
      'text, then two tool calls: the message ends when the first call begins',
      [
        chunk({ content: 'Looking.' }),
        chunk(callStart(0, 'call_a', 'a')),
        chunk(callArgs(0, '{}')),
        chunk(callStart(1, 'call_b', 'b')),
        chunk(callArgs(1, '{}')),
        END,
      ],
      [
        ...START,
        ...TEXT_OPEN,
        'response.output_text.delta',
        ...TEXT_CLOSE,
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        ...CALL_CLOSE,
        ...CALL_CLOSE,
        'response.completed',
      ],
    ],
    [
      'an empty answer: an empty message, as unstreamed',
      [chunk({ role: 'assistant' }, 'stop'), END],
      [...START, ...TEXT_OPEN, ...TEXT_CLOSE, 'response.completed'],
    ],
    [
      'cut off by the token limit: response.incomplete',
      [chunk({ content: 'Once' }, 'length'), END],
      [...START, ...TEXT_OPEN, 'response.output_text.delta', ...TEXT_CLOSE, 'response.incomplete'],
    ],
    [
      'a failure after the first chunk: response.failed',
      [chunk({ content: 'Once' }), failure('upstream_error')],
      [...START, ...TEXT_OPEN, 'response.output_text.delta', 'response.failed'],
    ],
  ])('streams %s', async (_case, events, types) => {
    expect((await run(events)).types).toEqual(types);
  });

  it('ends with the Response as it was kept: its output, usage, and the events agreeing with it', async () => {
    const { events, last, kept } = await run([
      chunk({ content: 'Let me ' }),
      chunk({ content: 'look.' }),
      chunk(callStart(0, 'call_a', 'lookup')),
      chunk(callArgs(0, '{}')),
      END,
    ]);
    expect(kept).toHaveLength(1);
    expect(last.response).toEqual(kept[0]);
    expect(last.response).toMatchObject({
      id: 'resp_1',
      status: 'completed',
      model: 'ollama/gpt-oss:20b',
      output_text: 'Let me look.',
      output: [
        { id: 'msg_1', type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }] },
        { id: 'fc_2', type: 'function_call', status: 'completed', call_id: 'call_a', name: 'lookup', arguments: '{}' },
      ],
      usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
    });
    const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
    expect(done).toEqual(last.response.output);
    expect(events[0].response).toMatchObject({ status: 'in_progress', output: [] });
    expect(events[0].response).not.toHaveProperty('usage');
  });

  it('says store: false when the Response could not be kept', async () => {
    const { last } = await run([chunk({ content: 'x' }), END], (r) => ({ ...r, store: false }));
    expect(last.response.store).toBe(false);
  });

  it('fails with what was generated, marked incomplete, not kept; a rate limit as rate_limit_exceeded, anything else as server_error with the request id', async () => {
    const broken = await run([chunk({ content: 'Once' }), chunk(callStart(0, 'call_a', 'f')), failure('upstream_error')]);
    expect(broken.kept).toEqual([]);
    expect(broken.last.response).toMatchObject({
      status: 'failed',
      store: false,
      error: { code: 'server_error', message: expect.stringContaining('req-7') },
      output: [
        { type: 'message', status: 'completed', content: [{ text: 'Once' }] },
        { type: 'function_call', status: 'incomplete' },
      ],
      usage: { input_tokens: 5 },
    });
    const limited = await run([chunk({ content: 'Once' }), failure('rate_limit_exceeded')]);
    expect(limited.last.response.error.code).toBe('rate_limit_exceeded');
    expect(limited.last.response.output[0]).toMatchObject({ status: 'incomplete', content: [{ type: 'output_text', text: 'Once' }] });
    const cut = await run([chunk({ content: 'Once' })]);
    expect(cut.types.at(-1)).toBe('response.failed');
  });
});
