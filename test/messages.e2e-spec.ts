import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import {
  ANTHROPIC_MESSAGE,
  ANTHROPIC_STREAM_EVENTS,
  ANTHROPIC_TOKEN_COUNT,
  type FakeUpstream,
  MASTER_KEY,
  type Stack,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  parseSse,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

/** Every event of a stream, each of its published shape, its SSE name equal to its `type`. */
function expectEventShapes(events: { type: string }[]) {
  for (const event of events) {
    const schema = ANTHROPIC_STREAM_EVENTS[event.type];
    if (!schema) throw new Error(`unknown stream event ${event.type}`);
    expectShape(schema, event, `${event.type} event`);
  }
}

const WEATHER: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
};

/**
 * Anthropic's Messages API with the official SDK, on an OpenAI-compatible deployment and on an
 * Ollama one (named like a Claude model, as Claude Code asks for one).
 */
describe.each([
  ['an OpenAI-compatible deployment', 'openai/gpt-4o-mini', 'openai'],
  ['an Ollama deployment', 'claude-sonnet-4-5', 'ollama'],
] as const)("Anthropic's Messages API on %s", (_name, model, wire) => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let key: string;
  let client: Anthropic;
  const upstream = (): FakeUpstream => fakes[wire];

  beforeAll(async () => {
    fakes = await startFakes();
    const extra = `  - model_name: claude-sonnet-4-5
    litellm_params:
      model: ollama/gpt-oss:20b
      api_base: "${fakes.ollama.origin}"
`;
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: { ...fakeEnv(fakes.openai), STREAM_KEEPALIVE: '0.2' } });
    ({ key } = await generateKey(stack.url, { models: [model] }));
    client = new Anthropic({ baseURL: stack.url, apiKey: key, maxRetries: 0 });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  it('messages.create: a message of its published shape, with the model name asked for, from a translated chat call', async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'hello there' }],
      stop_sequences: ['END'],
      metadata: { user_id: 'user-7' },
      // Sampling fields older Anthropic clients send; this SDK's types no longer list them.
      ...({ temperature: 0.5, top_k: 40 } as object),
    });

    expectShape(ANTHROPIC_MESSAGE, message);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model, stop_reason: 'end_turn', stop_sequence: null });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hello there' }]);
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBe(3);
    // The SDK reads Anthropic's request-id header.
    expect(message._request_id).toBeTruthy();

    const [received] = upstream().received;
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello there' },
    ];
    if (wire === 'openai') {
      expect(received.body).toMatchObject({ model: 'gpt-4o-mini', messages, max_completion_tokens: 64, temperature: 0.5, stop: ['END'], user: 'user-7' });
      // OpenAI's chat API has no top_k and refuses fields it does not know.
      expect(received.body).not.toHaveProperty('top_k');
    } else {
      expect(received.body).toMatchObject({ model: 'gpt-oss:20b', messages, options: { num_predict: 64, temperature: 0.5, top_k: 40, stop: ['END'] } });
    }
  });

  it('takes the key as Authorization: Bearer too, with anthropic-version and anthropic-beta headers', async () => {
    const bearer = new Anthropic({ baseURL: stack.url, authToken: key, maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    const message = await bearer.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
  });

  it('messages.stream: events in order, each of its published shape; finalMessage() is the whole answer', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'tell me a story' }] });
    const events: Anthropic.MessageStreamEvent[] = [];
    const texts: string[] = [];
    stream.on('streamEvent', (event) => events.push(event));
    stream.on('text', (text) => texts.push(text));
    const message = await stream.finalMessage();

    expectEventShapes(events);
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(texts.join('')).toBe('echo: tell me a story');
    expectShape(ANTHROPIC_MESSAGE, message);
    expect(message).toMatchObject({ model, stop_reason: 'end_turn', content: [{ type: 'text', text: 'echo: tell me a story' }] });
    // message_delta carries the backend's count, replacing message_start's estimate.
    expect(message.usage).toMatchObject({ input_tokens: 4, output_tokens: 5 });
  });

  it("sends Anthropic's SSE: named events whose data says the same type, ping events as keep-alives, no comments", async () => {
    upstream().chunkDelayMs = 500;
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'a slow one' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
    const { events, comments, problems } = parseSse(await res.text());
    expect(problems).toEqual([]);
    expect(comments).toEqual([]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(events.map((e) => e.event)).toEqual(data.map((d) => d.type));
    expectEventShapes(data);
    // The first right after message_start, then more while the upstream is silent.
    expect(data.filter((d) => d.type === 'ping').length).toBeGreaterThan(1);
    expect(data.slice(0, 2).map((d) => d.type)).toEqual(['message_start', 'ping']);
    expect(data.at(-1).type).toBe('message_stop');
  });

  it('a tool-use round trip: tool_use out, tool_result back, the answer uses it', async () => {
    const question: Anthropic.MessageParam = { role: 'user', content: 'weather in Paris?' };
    const first = await client.messages.create({ model, max_tokens: 64, tools: [WEATHER], tool_choice: { type: 'auto' }, messages: [question] });
    expectShape(ANTHROPIC_MESSAGE, first);
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(toolUse).toMatchObject({ name: 'get_weather', input: { text: 'weather in Paris?' } });

    const second = await client.messages.create({
      model,
      max_tokens: 64,
      tools: [WEATHER],
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse!.id, content: '18°C and sunny' }] },
      ],
    });
    expectShape(ANTHROPIC_MESSAGE, second);
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: 'tool result: 18°C and sunny' }] });
    // The backend saw the call and its result tied together by the id.
    const history = (upstream().received[1].body as { messages: any[] }).messages;
    if (wire === 'openai') {
      expect(history.slice(1)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: toolUse!.id, type: 'function', function: { name: 'get_weather', arguments: '{"text":"weather in Paris?"}' } }],
        },
        { role: 'tool', tool_call_id: toolUse!.id, content: '18°C and sunny' },
      ]);
    } else {
      expect(history.at(-1)).toEqual({ role: 'tool', content: '18°C and sunny', tool_name: 'get_weather' });
    }
  });

  it('a streamed tool call: a tool_use block filled by input_json_delta, parsed into finalMessage()', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, tools: [WEATHER], messages: [{ role: 'user', content: 'rain in Oslo?' }] });
    const events: Anthropic.MessageStreamEvent[] = [];
    stream.on('streamEvent', (event) => events.push(event));
    const message = await stream.finalMessage();

    expectEventShapes(events);
    expect(events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta')).toBe(true);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.filter((b) => b.type === 'tool_use')).toEqual([expect.objectContaining({ name: 'get_weather', input: { text: 'rain in Oslo?' } })]);
  });

  it('countTokens: an estimate of the prompt, for a model the key may use; nothing is sent upstream', async () => {
    const counted = await client.messages.countTokens({ model, system: 'Be brief.', messages: [{ role: 'user', content: 'x'.repeat(400) }], tools: [WEATHER] });
    expectShape(ANTHROPIC_TOKEN_COUNT, counted);
    expect(counted.input_tokens).toBeGreaterThan(100);
    expect(upstream().total).toBe(0);
    const other = model === 'claude-sonnet-4-5' ? 'openai/gpt-4o-mini' : 'claude-sonnet-4-5';
    await expect(client.messages.countTokens({ model: other, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      Anthropic.PermissionDeniedError,
    );
  });

  it("a failure after the stream began ends it with Anthropic's error event, which the SDK throws", async () => {
    upstream().breakNextStream(2, 'the model crashed');
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'one two three four' }] });
    const events: Anthropic.MessageStreamEvent[] = [];
    stream.on('streamEvent', (event) => events.push(event));
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as APIError).type).toBe('api_error');
    expect((error as APIError).message).toContain('the model crashed');
    expect(events[0].type).toBe('message_start');
  });

  it('a client that hangs up mid-stream cancels the upstream call', async () => {
    upstream().chunkDelayMs = 300;
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'a b c d e f g h i j' }] });
    const ended = stream.done().catch((e: unknown) => e);
    await new Promise<void>((resolve) => stream.on('text', () => resolve()));
    stream.abort();
    expect(await ended).toBeInstanceOf(Anthropic.APIUserAbortError);
    const closed = await eventually(
      async () => upstream().closedEarly,
      (n) => n === 1,
    );
    expect(closed).toBe(1);
  });

  it('the master key may call it too, and the answer is logged as spend', async () => {
    const master = new Anthropic({ baseURL: stack.url, apiKey: MASTER_KEY, maxRetries: 0 });
    const message = await master.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'count me' }] });
    const logs = await eventually(
      async () => (await call(stack.url, `/spend/logs?request_id=${message._request_id}`)).json as any[],
      (rows) => rows.length === 1,
    );
    // "echo: count me": the fakes count words.
    expect(logs[0]).toMatchObject({ model_group: model, prompt_tokens: 2, completion_tokens: 3 });
  });
});
