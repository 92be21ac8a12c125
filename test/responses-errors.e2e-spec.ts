import {
  ADMIN_DATABASE_URL,
  RESPONSE_SHAPE,
  RESPONSE_STREAM_EVENT_SHAPE,
  type Stack,
  TcpProxy,
  call,
  eventually,
  expectShape,
  fakeEnv,
  generateKey,
  parseSse,
  sseEvents,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const MODEL = 'ollama/gpt-oss:20b';

describe('Responses API errors, limits and hang-ups', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai), workers: ['ollama'] });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => fakes.ollama.reset());

  it.each<[string, object, number, string, string]>([
    ['a hosted tool', { input: 'hi', tools: [{ type: 'web_search' }] }, 400, 'tools[0].type', '"web_search" tools are not supported'],
    ['an input item of a hosted tool', { input: [{ type: 'file_search_call', id: 'fs_1' }] }, 400, 'input[0].type', '"file_search_call" are not supported'],
    ['no input', {}, 400, 'input', "'input' is required"],
    ['a background run', { input: 'hi', background: true }, 400, 'background', 'not supported'],
    ['an unknown model', { model: 'nope', input: 'hi' }, 404, 'model', 'does not exist'],
    ['an unknown previous_response_id', { input: 'hi', previous_response_id: 'resp_0000' }, 404, 'previous_response_id', 'not found'],
  ])('answers %s with the OpenAI error shape, naming the field, sending nothing upstream', async (_case, body, status, param, message) => {
    const res = await call(stack.url, '/v1/responses', { body: { model: MODEL, ...body } });
    expect(res.status).toBe(status);
    expect(res.json.error).toMatchObject({ param, message: expect.stringContaining(message) });
    expect(fakes.ollama.total).toBe(0);
  });

  it('answers a stream that fails before its first chunk as a normal JSON error with its status', async () => {
    fakes.ollama.failNext(1, 400, 'invalid image');
    const res = await call(stack.url, '/v1/responses', { body: { model: MODEL, input: 'hi', stream: true } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.json.error.message).toContain('invalid image');
  });

  it('ends a stream that breaks off after its first chunk with response.failed, and keeps nothing', async () => {
    fakes.ollama.breakNextStream(2, 'the GPU fell over');
    const res = await call(stack.url, '/v1/responses', { body: { model: MODEL, input: 'one two three four', stream: true } });
    expect(res.status).toBe(200);
    const events = parseSse(res.text).events.map((e) => JSON.parse(e.data));
    for (const event of events) expectShape(RESPONSE_STREAM_EVENT_SHAPE, event, event.type);
    const failed = events.at(-1);
    expect(failed.type).toBe('response.failed');
    expect(failed.response).toMatchObject({ status: 'failed', store: false, error: { code: 'server_error', message: expect.stringContaining('request id') } });
    expect(failed.response.output[0]).toMatchObject({ type: 'message', status: 'incomplete', content: [{ text: 'echo: one ' }] });
    expect((await call(stack.url, `/v1/responses/${failed.response.id}`)).status).toBe(404);
  });

  it("applies the key's limits as chat does, naming max_output_tokens where chat would name max_tokens", async () => {
    const { key } = await generateKey(stack.url, { tpm_limit: 100 });
    const res = await call(stack.url, '/v1/responses', { key, body: { model: MODEL, input: 'hi', max_output_tokens: 1000 } });
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: 'tokens_over_limit', param: 'max_output_tokens', message: expect.stringContaining('max_output_tokens') });
    expect(res.json.error.message).not.toMatch(/max_tokens/);
    const fits = await call(stack.url, '/v1/responses', { key, body: { model: MODEL, input: 'hi', max_output_tokens: 50 } });
    expect(fits.status).toBe(200);
    expect(fits.headers.get('x-ratelimit-limit-tokens')).toBe('100');
  });

  it('cancels the call when the client hangs up mid-stream: the upstream request is aborted, the spend log says cancelled', async () => {
    fakes.ollama.chunkDelayMs = 300;
    const leaving = new AbortController();
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.MASTER_KEY}`, 'content-type': 'application/json', 'x-request-id': 'responses-hangup-1' },
      body: JSON.stringify({ model: MODEL, input: 'a b c d e f g h i j', stream: true }),
      signal: leaving.signal,
    });
    let id = '';
    try {
      for await (const event of sseEvents(res.body!)) {
        const data = JSON.parse(event.data);
        id ||= data.response?.id ?? '';
        if (data.type === 'response.output_text.delta') leaving.abort();
      }
    } catch {
      // the abort
    }
    expect(
      await eventually(
        async () => fakes.ollama.closedEarly,
        (n) => n >= 1,
      ),
    ).toBe(1);
    const logs = await eventually(
      () => call(stack.url, '/spend/logs?request_id=responses-hangup-1'),
      (r) => r.json.length === 1,
    );
    expect(logs.json[0].status).toBe('cancelled');
    expect((await call(stack.url, `/v1/responses/${id}`)).status).toBe(404);
  });

  describe('with Postgres unreachable', () => {
    const proxy = TcpProxy.to(ADMIN_DATABASE_URL);
    let url: string;

    beforeAll(async () => {
      await proxy.start();
      const database = new URL(stack.databaseUrl);
      database.port = String(proxy.port);
      url = (await stack.startGateway({ DATABASE_URL: database.toString() })).url;
    });
    afterAll(() => proxy.stop());

    it('still answers (marked store: false) but cannot continue or read stored responses', async () => {
      proxy.cut();
      try {
        const res = await call(url, '/v1/responses', { body: { model: MODEL, input: 'hi' } });
        expect(res.status).toBe(200);
        expectShape(RESPONSE_SHAPE, res.json);
        expect(res.json).toMatchObject({ output_text: 'echo: hi', store: false });
        const continued = await call(url, '/v1/responses', { body: { model: MODEL, input: 'hi', previous_response_id: res.json.id } });
        expect(continued.status).toBe(503);
        expect(continued.json.error.code).toBe('service_unavailable');
        expect((await call(url, `/v1/responses/${res.json.id}`)).status).toBe(503);
      } finally {
        await proxy.restore();
      }
    });
  });
});
