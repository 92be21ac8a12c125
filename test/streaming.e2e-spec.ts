import { ChatOpenAI } from '@langchain/openai';
import IORedis from 'ioredis';
import {
  HELLO,
  type Stack,
  TEST_REDIS_URL,
  call,
  eventually,
  fakeEnv,
  generateKey,
  openaiChunks,
  parseSse,
  sdk,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const MODELS = ['openai/gpt-4o-mini', 'ollama/gpt-oss:20b'] as const;
const QUESTION = '請簡單說明什麼是多模型代理架構?';

/** The raw SSE body, read into its events (their `data:` payloads) and comments, and whatever else it contained. */
async function rawStream(url: string, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-master-1234', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.text();
  const { events, comments, problems } = parseSse(text);
  return { res, text, events, comments, problems, data: events.map((e) => e.data), chunks: openaiChunks(events) };
}

describe('streaming through the queues', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), STREAM_KEEPALIVE: '0.2' } });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  describe.each(MODELS)('%s', (model) => {
    const upstream = () => (model.startsWith('openai') ? fakes.openai : fakes.ollama);

    it('sends OpenAI SSE: one id and created, role first, one finish_reason, [DONE], no event lines', async () => {
      const { res, events, comments, problems, data, chunks } = await rawStream(stack.url, { model, messages: [{ role: 'user', content: QUESTION }] });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      expect(events.every((e) => e.event === undefined && e.id === undefined)).toBe(true);
      expect(problems).toEqual([]);
      expect(comments.every((c) => c.trim() === 'ping')).toBe(true);
      expect(data.at(-1)).toBe('[DONE]');
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === model)).toBe(true);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.filter((c) => c.choices[0]?.finish_reason != null)).toHaveLength(1);
      expect(chunks.every((c) => !('usage' in c))).toBe(true);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(`echo: ${QUESTION}`);
    });

    it('adds one usage chunk before [DONE] when include_usage is set, and usage: null elsewhere', async () => {
      const { chunks, data } = await rawStream(stack.url, { ...HELLO, model, stream_options: { include_usage: true } });
      const usageChunk = chunks.at(-1);
      expect(data.at(-1)).toBe('[DONE]');
      expect(usageChunk.choices).toEqual([]);
      expect(usageChunk.usage.total_tokens).toBe(usageChunk.usage.prompt_tokens + usageChunk.usage.completion_tokens);
      expect(usageChunk.usage.completion_tokens).toBeGreaterThan(0);
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    });

    it('streams with the SDK to the end, text equal to the non-streamed answer', async () => {
      const client = sdk(stack.url);
      const messages = [{ role: 'user' as const, content: 'same words both ways' }];
      const whole = await client.chat.completions.create({ model, messages });
      let joined = '';
      for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) {
        joined += chunk.choices[0]?.delta.content ?? '';
      }
      expect(joined).toBe(whole.choices[0].message.content);
    });

    it('serves chat.completions.stream() and finalChatCompletion()', async () => {
      const runner = sdk(stack.url).chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'final please' }],
        stream_options: { include_usage: true },
      });
      const final = await runner.finalChatCompletion();
      expect(final.choices[0].message.content).toBe('echo: final please');
      expect(final.usage?.total_tokens).toBeGreaterThan(0);
    });

    it('round-trips a tool call with runTools', async () => {
      const calls: string[] = [];
      const runner = sdk(stack.url).chat.completions.runTools({
        model,
        messages: [{ role: 'user', content: 'weather in Taipei' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather for a place',
              parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
              parse: JSON.parse,
              function: (args: { text: string }) => {
                calls.push(args.text);
                return `sunny in ${args.text}`;
              },
            },
          },
        ],
      });
      const content = await runner.finalContent();
      expect(calls).toEqual(['weather in Taipei']);
      expect(content).toBe('tool result: sunny in weather in Taipei');
      const sent = upstream().received.map((r) => r.body as { messages: { role: string }[] });
      expect(sent).toHaveLength(2);
      expect(sent[1].messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    });

    it('streams tool calls as OpenAI deltas whose arguments assemble to JSON', async () => {
      const { chunks } = await rawStream(stack.url, {
        model,
        messages: [{ role: 'user', content: 'look it up' }],
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      });
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'lookup', arguments: '' } });
      const args = deltas.map((d: { function?: { arguments?: string } }) => d.function?.arguments ?? '').join('');
      expect(JSON.parse(args)).toEqual({ text: 'look it up' });
      expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');
    });

    it('answers an error before the first chunk as a JSON error with its status', async () => {
      upstream().failNext(1, 400, 'messages[0] is not acceptable');
      const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model, stream: true } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.json.error.code).toBe('invalid_request');
      expect(res.json.error.message).toContain('messages[0] is not acceptable');
    });

    it('cancels the upstream call when the client disconnects, and serves the next request', async () => {
      upstream().chunkDelayMs = 300;
      const controller = new AbortController();
      const res = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-master-1234', 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'a long answer with many words to stream slowly' }], stream: true }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      const closedBefore = upstream().closedEarly;
      controller.abort();
      const started = Date.now();
      while (upstream().closedEarly === closedBefore && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 20));
      expect(upstream().closedEarly).toBe(closedBefore + 1);
      expect(Date.now() - started).toBeLessThan(1000);
      upstream().chunkDelayMs = 0;
      expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model } })).status).toBe(200);
    });
  });

  it('cancels a stream whose client hangs up before the first chunk, and logs it as cancelled', async () => {
    fakes.ollama.delayMs = 1500;
    const controller = new AbortController();
    const pending = fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-master-1234', 'content-type': 'application/json', 'x-request-id': 'hang-up-early-1' },
      body: JSON.stringify({ ...HELLO, stream: true }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    await eventually(
      async () => fakes.ollama.inFlight,
      (n) => n === 1,
      2000,
      20,
    );
    const closedBefore = fakes.ollama.closedEarly;
    controller.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    const closed = await eventually(
      async () => fakes.ollama.closedEarly,
      (n) => n > closedBefore,
      1000,
      20,
    );
    expect(closed).toBe(closedBefore + 1);
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=hang-up-early-1'),
      (r) => r.json.length === 1,
      3000,
    );
    expect(logs.json[0]).toMatchObject({ request_id: 'hang-up-early-1', status: 'cancelled', stream: true });
  });

  it('sends keep-alive comments during long silences', async () => {
    fakes.ollama.chunkDelayMs = 500;
    const { comments, data } = await rawStream(stack.url, { ...HELLO, messages: [{ role: 'user', content: 'slow one two' }] });
    expect(comments.map((c) => c.trim())).toContain('ping');
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('refuses stream_options without stream: true', async () => {
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, stream_options: { include_usage: true } } });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe('stream_options');
  });

  it('works with LangChain ChatOpenAI configured as the tutorial does: invoke and stream with usage', async () => {
    const { key } = await generateKey(stack.url, { models: ['ollama/gpt-oss:20b'] });
    const llm = new ChatOpenAI({ configuration: { baseURL: `${stack.url}/v1` }, model: 'ollama/gpt-oss:20b', apiKey: key, maxRetries: 0 });
    const messages = [
      { role: 'system', content: '你是一個樂於助人的 AI 助理。' },
      { role: 'user', content: QUESTION },
    ];
    const response = await llm.invoke(messages);
    expect(response.content).toBe(`echo: ${QUESTION}`);

    let text = '';
    let usage: { input_tokens: number; output_tokens: number } | undefined;
    for await (const chunk of await llm.stream(messages)) {
      text += chunk.content;
      usage = chunk.usage_metadata ?? usage;
    }
    expect(text).toBe(`echo: ${QUESTION}`);
    expect(usage?.output_tokens).toBeGreaterThan(0);
  });

  it('ends a stream that fails mid-way with an error event and no [DONE]', async () => {
    // A worker that dies mid-stream is simulated by the upstream dropping the connection after the first chunk.
    fakes.openai.chunkDelayMs = 200;
    const pending = rawStream(
      stack.url,
      { ...HELLO, model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four' }] },
      { 'x-request-id': 'fails-mid-way-1' },
    );
    await new Promise((r) => setTimeout(r, 300));
    const port = Number(new URL(fakes.openai.origin).port);
    await fakes.openai.stop();
    const { data } = await pending;
    await fakes.openai.start(port);
    expect(data.at(-1)).not.toBe('[DONE]');
    const last = JSON.parse(data.at(-1)!);
    expect(last.error).toMatchObject({ type: expect.any(String), code: expect.any(String), message: expect.any(String) });
    // Logged once, as the failure the client saw.
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=fails-mid-way-1'),
      (r) => r.json.length === 1,
      3000,
    );
    expect(logs.json[0]).toMatchObject({ status: 'failure', http_status: 502, error_code: last.error.code, stream: true });
  });

  it('leaves no stream behind in Redis once streams end, however they end', async () => {
    const eventKeys = async () => {
      const redis = new IORedis(TEST_REDIS_URL);
      try {
        return await redis.keys(`${stack.prefix}:*:events:*`);
      } finally {
        redis.disconnect();
      }
    };
    for (const model of MODELS) expect((await rawStream(stack.url, { ...HELLO, model })).data.at(-1)).toBe('[DONE]');
    expect((await rawStream(stack.url, { ...HELLO, model: MODELS[0], stream_options: { include_usage: true } })).data.at(-1)).toBe('[DONE]');
    fakes.ollama.failNext(1, 400, { error: 'bad option' });
    expect((await rawStream(stack.url, { ...HELLO, model: MODELS[1] })).res.status).toBe(400);
    const left = await eventually(eventKeys, (keys) => keys.length === 0, 2000);
    expect(left).toEqual([]);
  });
});
