import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import {
  RESPONSE_SHAPE,
  RESPONSE_STREAM_EVENT_SHAPE,
  type Stack,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  parseSse,
  sdk,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const INSTRUCTIONS = '你是一個樂於助人的 AI 助理。';
const QUESTION = '請簡單說明什麼是多模型代理架構?';
const LOOKUP = {
  type: 'function' as const,
  name: 'lookup',
  description: 'Looks a word up',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  strict: false,
};

/** What each wire's fake received as the conversation, in OpenAI's chat shape (Ollama's tool calls carry objects and no ids). */
const received = (body: any) => body.messages.map((m: any) => ({ role: m.role, content: m.content ?? '', tools: m.tool_calls?.length ?? 0 }));

describe('the Responses API over chat (official OpenAI SDK), on both wires', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  describe.each([
    ['an OpenAI-compatible deployment', 'openai/gpt-4o-mini', () => fakes.openai],
    ['an Ollama deployment', 'ollama/gpt-oss:20b', () => fakes.ollama],
  ])('%s', (_name, model, upstream) => {
    const lastBody = () => upstream().received.at(-1)!.body as any;

    it('answers a string input with instructions: a Response with one message, its output_text and usage', async () => {
      const response = await sdk(stack.url).responses.create({ model, instructions: INSTRUCTIONS, input: QUESTION });
      expectShape(RESPONSE_SHAPE, response);
      expect(response).toMatchObject({ object: 'response', status: 'completed', model, instructions: INSTRUCTIONS, store: true, incomplete_details: null });
      expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
      expect(response.output).toEqual([
        {
          id: expect.stringMatching(/^msg_/),
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: `echo: ${QUESTION}`, annotations: [], logprobs: [] }],
        },
      ]);
      expect(response.output_text).toBe(`echo: ${QUESTION}`);
      expect(response.usage!.output_tokens).toBe(2);
      expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + 2);
      expect(received(lastBody())).toEqual([
        { role: 'system', content: INSTRUCTIONS, tools: 0 },
        { role: 'user', content: QUESTION, tools: 0 },
      ]);
    });

    it('takes a list of items: messages with input_text parts and assistant history with output_text parts', async () => {
      const response = await sdk(stack.url).responses.create({
        model,
        input: [
          { role: 'developer', content: 'Answer briefly.' },
          { role: 'user', content: [{ type: 'input_text', text: 'first question' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'first answer', annotations: [] }] } as any,
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'second ' },
              { type: 'input_text', text: 'question' },
            ],
          },
        ],
        max_output_tokens: 64,
        temperature: 0.2,
      });
      expect(response.output_text).toBe('echo: second question');
      expect(response).toMatchObject({ max_output_tokens: 64, temperature: 0.2 });
      expect(received(lastBody())).toEqual([
        { role: 'system', content: 'Answer briefly.', tools: 0 },
        { role: 'user', content: 'first question', tools: 0 },
        { role: 'assistant', content: 'first answer', tools: 0 },
        { role: 'user', content: 'second question', tools: 0 },
      ]);
      const options = lastBody().options ?? lastBody();
      expect(options.num_predict ?? options.max_completion_tokens).toBe(64);
    });

    it('gives structured output for a text.format JSON schema, parsed by responses.parse', async () => {
      const Echo = z.object({ echo: z.string() });
      const parsed = await sdk(stack.url).responses.parse({ model, input: 'hello there', text: { format: zodTextFormat(Echo, 'echo') } });
      expect(parsed.output_parsed).toEqual({ echo: 'hello there' });
      expect(parsed.text?.format).toMatchObject({ type: 'json_schema', name: 'echo', strict: true });
      const body = lastBody();
      const schema = body.response_format?.json_schema?.schema ?? body.format;
      expect(schema).toMatchObject({ type: 'object', properties: { echo: { type: 'string' } } });
    });

    it('streams the documented events in order, each of its published shape, ending with the completed Response', async () => {
      const stream = await sdk(stack.url).responses.create({ model, input: 'one two three', stream: true });
      const events: any[] = [];
      for await (const event of stream) events.push(event);
      for (const event of events) expectShape(RESPONSE_STREAM_EVENT_SHAPE, event, event.type);
      const types = events.map((e) => e.type);
      const deltas = types.filter((t) => t === 'response.output_text.delta').length;
      expect(deltas).toBeGreaterThan(1);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(deltas).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
      const text = events
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join('');
      const completed = events.at(-1).response;
      expect(text).toBe('echo: one two three');
      expect(completed).toMatchObject({ id: events[0].response.id, status: 'completed', model, output_text: text, usage: { output_tokens: 4 } });
    });

    it('streams with responses.stream(): finalResponse() is the Response it built, as event: frames with no [DONE]', async () => {
      const stream = sdk(stack.url).responses.stream({ model, input: 'hello there' });
      const deltas: string[] = [];
      stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
      const final = await stream.finalResponse();
      expectShape(RESPONSE_SHAPE, final);
      expect(final).toMatchObject({ status: 'completed', output_text: 'echo: hello there' });
      expect(deltas.join('')).toBe('echo: hello there');
      const raw = await call(stack.url, '/responses', { body: { model, input: 'hi', stream: true } });
      expect(raw.headers.get('content-type')).toContain('text/event-stream');
      const { events, problems } = parseSse(raw.text);
      expect(problems).toEqual([]);
      expect(events.every((e) => e.event === JSON.parse(e.data).type)).toBe(true);
      expect(raw.text).not.toContain('[DONE]');
    });

    it('makes a function-call round trip through previous_response_id', async () => {
      const client = sdk(stack.url);
      const first = await client.responses.create({ model, input: 'find cats', tools: [LOOKUP] });
      expectShape(RESPONSE_SHAPE, first);
      expect(first.output).toEqual([
        {
          id: expect.stringMatching(/^fc_/),
          type: 'function_call',
          status: 'completed',
          call_id: expect.stringMatching(/^call_/),
          name: 'lookup',
          arguments: '{"text":"find cats"}',
        },
      ]);
      expect(first.tools).toEqual([LOOKUP]);
      const callId = (first.output[0] as { call_id: string }).call_id;
      const second = await client.responses.create({
        model,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: callId, output: 'three cats' }],
        tools: [LOOKUP],
      });
      expect(second.output_text).toBe('tool result: three cats');
      expect(second.previous_response_id).toBe(first.id);
      expect(received(lastBody())).toEqual([
        { role: 'user', content: 'find cats', tools: 0 },
        { role: 'assistant', content: '', tools: 1 },
        { role: 'tool', content: 'three cats', tools: 0 },
      ]);
    });

    it('makes the same round trip statelessly, the whole conversation sent as input with store: false, streamed', async () => {
      const client = sdk(stack.url);
      const stream = client.responses.stream({ model, input: 'find dogs', tools: [LOOKUP], store: false });
      const types: string[] = [];
      stream.on('event', (event) => types.push(event.type));
      const first = await stream.finalResponse();
      expect(types).toEqual(expect.arrayContaining(['response.function_call_arguments.delta', 'response.function_call_arguments.done']));
      expect(first).toMatchObject({ store: false, output: [{ type: 'function_call', name: 'lookup', arguments: '{"text":"find dogs"}' }] });
      const fc = first.output[0] as { call_id: string };
      const second = await client.responses.create({
        model,
        input: [{ role: 'user', content: 'find dogs' }, ...first.output, { type: 'function_call_output', call_id: fc.call_id, output: 'no dogs' }] as any,
        tools: [LOOKUP],
        store: false,
      });
      expect(second.output_text).toBe('tool result: no dogs');
      expect((await call(stack.url, `/v1/responses/${first.id}`)).status).toBe(404);
    });
  });

  it('bills a Responses call like a chat call: one spend log row, with its tokens and cost, for the key that made it', async () => {
    const { key, token } = await generateKey(stack.url, { key_alias: 'responses-billing' });
    const response = await sdk(stack.url, key).responses.create(
      { model: 'openai/gpt-4o-mini', input: 'count these words' },
      { headers: { 'x-request-id': 'responses-billing-1' } },
    );
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=responses-billing-1'),
      (res) => res.json.length === 1,
    );
    expect(logs.json[0]).toMatchObject({
      api_key: token,
      model_group: 'openai/gpt-4o-mini',
      status: 'success',
      prompt_tokens: response.usage!.input_tokens,
      completion_tokens: response.usage!.output_tokens,
      total_tokens: response.usage!.total_tokens,
    });
    expect(logs.json[0].spend).toBeGreaterThan(0);
    const info = await eventually(
      () => call(stack.url, `/key/info?key=${token}`),
      (res) => res.json.info.spend > 0,
    );
    expect(info.json.info.spend).toBeCloseTo(logs.json[0].spend, 12);
  });
});
