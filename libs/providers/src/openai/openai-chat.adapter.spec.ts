import { once } from 'node:events';
import { type ChatCompletionChunk, type ChatCompletionRequest, SwitchyardError } from '@app/contracts';
import { FakeOpenAIServer } from '@test/support';
import type { ChatCallContext } from '../chat-operation';
import { STANDARD_UPSTREAM, type UpstreamTarget } from '../upstream-target';
import { UpstreamHttpClient } from '../http/upstream-http.client';
import { OpenAIChatAdapter } from './openai-chat.adapter';

const API_KEY = 'sk-test-0123456789abcdef';

describe('OpenAIChatAdapter against the fake OpenAI', () => {
  const fake = new FakeOpenAIServer();
  const http = new UpstreamHttpClient();
  const adapter = new OpenAIChatAdapter(http);
  // Prepared and sent in one step, as the worker does.
  const send = {
    complete: async (d: UpstreamTarget, r: ChatCompletionRequest, c: ChatCallContext) => adapter.complete(adapter.prepare(d, r, false), c),
    async *stream(d: UpstreamTarget, r: ChatCompletionRequest, c: ChatCallContext) {
      yield* adapter.stream(adapter.prepare(d, r, true), c);
    },
  };

  const deployment = (fields: Partial<UpstreamTarget> = {}): UpstreamTarget => ({
    upstreamModel: 'gpt-4o-mini',
    apiBase: fake.url,
    apiKey: API_KEY,
    headers: {},
    ...fields,
  });
  const request = (fields: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model: 'fast',
    messages: [{ role: 'user', content: 'hello there' }],
    ...fields,
  });
  const context = (fields: Partial<ChatCallContext> = {}): ChatCallContext => ({
    callId: 'call-1',
    signal: new AbortController().signal,
    deadline: Date.now() + 2000,
    ...fields,
  });
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error as SwitchyardError,
    );

  beforeAll(() => fake.start());
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.stop();
  });

  it("sends the client's body with the upstream model, no streaming and the key, and returns the completion", async () => {
    const completion = await send.complete(deployment(), request({ stream: true, temperature: 0, custom_field: 'kept' }), context());

    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]).toMatchObject({
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], stream: false, temperature: 0, custom_field: 'kept' },
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hello there' }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
  });

  it('sends no Authorization header when the deployment has no key', async () => {
    await send.complete(deployment({ apiKey: undefined }), request(), context());
    expect(fake.received[0].headers.authorization).toBeUndefined();
  });

  it('sends the deployment headers on every call, streamed or not, after the key, and never in place of its own content-type', async () => {
    const headers = { 'x-team': 'team-header-value', authorization: 'Bearer from-extra-headers' };
    await send.complete(deployment({ headers }), request(), context());
    for await (const _chunk of send.stream(deployment({ headers }), request(), context())) void _chunk;
    expect(fake.received).toHaveLength(2);
    for (const received of fake.received) {
      expect(received.headers).toMatchObject({ 'x-team': 'team-header-value', authorization: 'Bearer from-extra-headers', 'content-type': 'application/json' });
    }
  });

  it('keeps the query of an api_base after the path, and sends its user:password as Basic auth', async () => {
    const apiBase = fake.url.replace('http://', 'http://proxy-user:proxy%40pass@') + '?api-version=2024-06-01';
    await send.complete(deployment({ apiBase, apiKey: undefined }), request(), context());
    expect(fake.received[0].url).toBe('/v1/chat/completions?api-version=2024-06-01');
    expect(fake.received[0].headers.authorization).toBe(`Basic ${Buffer.from('proxy-user:proxy@pass').toString('base64')}`);
  });

  it("never quotes the deployment's credentials from an upstream message", async () => {
    const apiBase = fake.url.replace('http://', 'http://proxy-user:url-password@') + '?api-key=url-query-key';
    fake.failNext(1, 400, `bad call to ${apiBase} with header team-header-value and key ${API_KEY}`);
    const error = await failure(send.complete(deployment({ apiBase, headers: { 'x-team': 'team-header-value' } }), request(), context()));
    expect(error?.message).toContain('bad call to http://****@127.0.0.1:');
    for (const secret of ['url-password', 'url-query-key', 'team-header-value', API_KEY]) expect(error?.message).not.toContain(secret);
  });

  it('passes tools through and returns the tool call', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const completion = await send.complete(deployment(), request({ tools, tool_choice: 'auto' }), context());
    expect(fake.received[0].body).toMatchObject({ tools, tool_choice: 'auto' });
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ type: 'function', function: { name: 'lookup', arguments: '{"text":"hello there"}' } }] },
    });
  });

  it('reports rejected deployment credentials as a 502 without the key', async () => {
    fake.requireApiKey = 'sk-the-right-key-000000';
    const error = await failure(send.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ code: 'upstream_error', status: 502, retryable: false });
    expect(error?.message).toMatch(/^openai upstream rejected the deployment's credentials \(HTTP 401\): Incorrect API key provided: sk-\[redacted\]/);
    expect(error?.message).not.toContain(API_KEY.slice(-4));
  });

  it.each([
    [429, { 'retry-after': '2' }, { code: 'rate_limit_exceeded', status: 429, retryable: true, retryAfterMs: 2000 }],
    [400, {}, { code: 'invalid_request', status: 400, retryable: false }],
    [503, {}, { code: 'upstream_unavailable', status: 503, retryable: true }],
    [500, {}, { code: 'upstream_error', status: 502, retryable: true }],
  ])('maps an upstream %i', async (status, headers, expected) => {
    fake.failNext(1, status, 'upstream says no', headers);
    const error = await failure(send.complete(deployment(), request(), context()));
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ ...expected, message: 'openai upstream: upstream says no' });
  });

  it('names the provider it serves in its messages: an OpenAI-compatible server is not "openai"', async () => {
    const vllm = new OpenAIChatAdapter(http, { name: 'hosted_vllm', upstream: STANDARD_UPSTREAM });
    fake.failNext(1, 500, 'upstream says no');
    const error = await failure(vllm.complete(vllm.prepare(deployment(), request(), false), context()));
    expect(error).toMatchObject({ code: 'upstream_error', message: 'hosted_vllm upstream: upstream says no' });
    fake.breakNextStream(1, 'gpu fell over');
    const chunks = vllm.stream(vllm.prepare(deployment(), request(), true), context());
    const streamError = await (async () => {
      try {
        for await (const _chunk of chunks);
      } catch (err) {
        return err;
      }
    })();
    expect(streamError).toMatchObject({ code: 'upstream_error', message: 'hosted_vllm upstream: gpu fell over' });
  });

  it('fails clearly when a 200 is not a chat completion', async () => {
    fake.failNext(1, 200, { object: 'list', data: [] });
    const error = await failure(send.complete(deployment(), request(), context()));
    expect(error).toMatchObject({ code: 'upstream_error', status: 502, message: 'openai upstream answered with something that is not a chat completion' });
  });

  it('gives up at the deadline with a retryable timeout and hangs up', async () => {
    fake.delayMs = 1000;
    const closed = once(fake, 'closedEarly');
    const error = await failure(send.complete(deployment(), request(), context({ deadline: Date.now() + 100 })));
    expect(error).toMatchObject({ code: 'timeout', status: 504, retryable: true });
    expect(error?.message).toMatch(/^openai upstream did not answer within \d+ ms$/);
    await closed;
  });

  it('does not call the upstream once the deadline has passed', async () => {
    const error = await failure(send.complete(deployment(), request(), context({ deadline: Date.now() - 1 })));
    expect(error).toMatchObject({ code: 'timeout', retryable: false });
    expect(fake.total).toBe(0);
  });

  it('reports an unreachable upstream as a retryable 502, host:port in its detail only', async () => {
    const gone = new FakeOpenAIServer();
    const port = await gone.start();
    await gone.stop();
    const error = await failure(send.complete(deployment({ apiBase: gone.url }), request(), context()));
    expect(error).toMatchObject({
      code: 'upstream_error',
      status: 502,
      retryable: true,
      message: 'openai upstream could not be reached',
      detail: `127.0.0.1:${port}: ECONNREFUSED`,
    });
  });

  describe('stream()', () => {
    const collect = async (chunks: AsyncIterable<ChatCompletionChunk>) => {
      const all: ChatCompletionChunk[] = [];
      for await (const chunk of chunks) all.push(chunk);
      return all;
    };
    const streamFailure = (chunks: AsyncIterable<ChatCompletionChunk>, seen: ChatCompletionChunk[] = []) =>
      (async () => {
        for await (const chunk of chunks) seen.push(chunk);
      })().then(
        () => undefined,
        (error: unknown) => error as SwitchyardError,
      );
    const textOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    /** Resolves when the fake sees the client hang up; fails after `ms`. */
    const hangUpWithin = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the fake saw no hang-up within ${ms} ms`)), ms);
        fake.once('closedEarly', () => {
          clearTimeout(timer);
          resolve();
        });
      });

    it('sends the upstream model, stream: true and include_usage, everything else untouched, with the key', async () => {
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
      const fields = { temperature: 0, custom_field: 'kept', tools, tool_choice: 'auto', parallel_tool_calls: false, response_format: { type: 'text' } };
      await collect(send.stream(deployment(), request({ ...fields, stream: true, stream_options: { include_usage: false } }), context()));
      expect(fake.received).toHaveLength(1);
      expect(fake.received[0]).toMatchObject({ path: '/v1/chat/completions', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(fake.received[0].body).toEqual({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello there' }],
        stream: true,
        stream_options: { include_usage: true },
        ...fields,
      });
    });

    it('streams exactly the text complete() answers, the usage chunk last and only there', async () => {
      const completion = await send.complete(deployment(), request(), context());
      const chunks = await collect(send.stream(deployment(), request(), context()));

      expect(textOf(chunks)).toBe(completion.choices[0].message.content);
      expect(chunks.length).toBeGreaterThan(4);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
      expect(chunks.slice(0, -1).every((c) => c.choices.length === 1 && c.choices[0].logprobs === null && c.usage === undefined)).toBe(true);
      expect(chunks.filter((c) => c.choices[0]?.finish_reason != null).map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: completion.usage });
      expect(fake.closedEarly).toBe(0);
    });

    it('does not call the upstream before the first next()', async () => {
      const chunks = send.stream(deployment(), request(), context());
      expect(fake.total).toBe(0);
      await collect(chunks);
      expect(fake.total).toBe(1);
    });

    it('streams a tool call whose deltas assemble into parseable arguments', async () => {
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
      const chunks = await collect(send.stream(deployment(), request({ tools }), context()));
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(deltas[0]).toEqual({ index: 0, id: expect.any(String), type: 'function', function: { name: 'lookup', arguments: '' } });
      expect(deltas.every((d) => d.index === 0)).toBe(true);
      expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ text: 'hello there' });
      expect(chunks.at(-2)?.choices[0].finish_reason).toBe('tool_calls');
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
    });

    it.each([
      [429, { 'retry-after': '2' }, { code: 'rate_limit_exceeded', status: 429, retryable: true, retryAfterMs: 2000 }],
      [400, {}, { code: 'invalid_request', status: 400, retryable: false }],
      [503, {}, { code: 'upstream_unavailable', status: 503, retryable: true }],
      [500, {}, { code: 'upstream_error', status: 502, retryable: true }],
    ])('throws an upstream %i before the stream from the first next(), mapped as for complete()', async (status, headers, expected) => {
      fake.failNext(1, status, 'upstream says no', headers);
      const seen: ChatCompletionChunk[] = [];
      const error = await streamFailure(send.stream(deployment(), request(), context()), seen);
      expect(error).toBeInstanceOf(SwitchyardError);
      expect(error).toMatchObject({ ...expected, message: 'openai upstream: upstream says no' });
      expect(seen).toEqual([]);
    });

    it('reports rejected credentials without the key', async () => {
      fake.requireApiKey = 'sk-the-right-key-000000';
      const error = await streamFailure(send.stream(deployment(), request(), context()));
      expect(error).toMatchObject({ code: 'upstream_error', status: 502, retryable: false });
      expect(error?.message).not.toContain(API_KEY.slice(-4));
    });

    it('hangs up within 1 s when the consumer breaks out after the first chunk', async () => {
      fake.chunkDelayMs = 300;
      const hungUp = hangUpWithin(1000);
      let seen = 0;
      for await (const chunk of send.stream(deployment(), request(), context())) {
        expect(chunk.choices[0].delta.role).toBe('assistant');
        seen++;
        break;
      }
      expect(seen).toBe(1);
      await hungUp;
      expect(fake.closedEarly).toBe(1);
    });

    it('stops with a timeout error and hangs up when the signal aborts mid-stream', async () => {
      fake.chunkDelayMs = 300;
      const controller = new AbortController();
      const hungUp = hangUpWithin(1000);
      const seen: ChatCompletionChunk[] = [];
      const chunks = send.stream(deployment(), request(), context({ signal: controller.signal, deadline: Date.now() + 10_000 }));
      const failed = streamFailure(chunks, seen);
      setTimeout(() => controller.abort(), 100);
      const error = await failed;
      expect(error).toBeInstanceOf(SwitchyardError);
      expect(error).toMatchObject({ code: 'timeout', status: 504 });
      expect(seen).toHaveLength(1);
      await hungUp;
    });

    it('gives up at the deadline mid-stream with a retryable timeout and hangs up', async () => {
      fake.chunkDelayMs = 100;
      const hungUp = hangUpWithin(1000);
      const seen: ChatCompletionChunk[] = [];
      const error = await streamFailure(send.stream(deployment(), request(), context({ deadline: Date.now() + 250 })), seen);
      expect(error).toMatchObject({ code: 'timeout', status: 504, retryable: true });
      expect(seen.length).toBeGreaterThan(0);
      await hungUp;
    });

    it('does not call the upstream once the deadline has passed', async () => {
      const error = await streamFailure(send.stream(deployment(), request(), context({ deadline: Date.now() - 1 })));
      expect(error).toMatchObject({ code: 'timeout', retryable: false });
      expect(fake.total).toBe(0);
    });

    it('throws an error object that arrives mid-stream as upstream_error, secrets redacted', async () => {
      fake.breakNextStream(2, `The server had an error processing your request with key ${API_KEY}.`);
      const seen: ChatCompletionChunk[] = [];
      const error = await streamFailure(send.stream(deployment(), request(), context()), seen);
      expect(seen).toHaveLength(2);
      expect(error).toBeInstanceOf(SwitchyardError);
      expect(error).toMatchObject({
        code: 'upstream_error',
        status: 502,
        message: 'openai upstream: The server had an error processing your request with key [redacted].',
      });
    });

    it('reports a connection dropped mid-stream as a retryable upstream_error, host:port in its detail only', async () => {
      fake.chunkDelayMs = 20;
      fake.breakNextStream(3);
      const seen: ChatCompletionChunk[] = [];
      const error = await streamFailure(send.stream(deployment(), request(), context()), seen);
      expect(seen).toHaveLength(3);
      expect(error).toMatchObject({ code: 'upstream_error', status: 502, retryable: true });
      expect(error?.message).toBe('openai upstream broke off its streamed answer');
      expect(error?.detail).toMatch(new RegExp(`^${new URL(fake.origin).host}: \\w+$`));
    });

    it('reports an unreachable upstream as a retryable 502, host:port in its detail only', async () => {
      const gone = new FakeOpenAIServer();
      const port = await gone.start();
      await gone.stop();
      const error = await streamFailure(send.stream(deployment({ apiBase: gone.url }), request(), context()));
      expect(error).toMatchObject({
        code: 'upstream_error',
        status: 502,
        retryable: true,
        message: 'openai upstream could not be reached',
        detail: `127.0.0.1:${port}: ECONNREFUSED`,
      });
    });
  });
});
