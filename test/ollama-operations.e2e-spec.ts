import { FakeOllamaServer, HELLO, type Stack, call, eventually, fakeEnv, scrape, startFakes, startStack, valueOf } from '@test/support';

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';

/**
 * Ollama as operators run it: a deployment's keep_alive and model options on every call, num_ctx
 * pinned; the model loaded at worker start when asked; a silently truncated prompt noticed; its 503 "server busy" (its own queue full) is backpressure the call
 * waits out within its deadline, never a failure of the deployment; a model that is not pulled
 * says how to pull it.
 */
describe('Ollama backpressure and missing models', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;
  let warmUps: Array<{ body: unknown }> = [];

  beforeAll(async () => {
    fakes = await startFakes();
    await ollama.start();
    const config = [
      'model_list:',
      '  - model_name: local',
      '    litellm_params:',
      '      model: ollama/llama3.2',
      `      api_base: "${ollama.origin}"`,
      '      num_retries: 0',
      '  - model_name: local-short',
      '    litellm_params:',
      '      model: ollama/llama3.2',
      `      api_base: "${ollama.origin}"`,
      '      timeout: 2',
      '  - model_name: tuned',
      '    litellm_params:',
      '      model: ollama/llama3.2',
      `      api_base: "${ollama.origin}"`,
      '      keep_alive: 30m',
      '      num_ctx: 8192',
      '      warm_up: true',
      '      options: {num_gpu: 1, temperature: 0.3, num_ctx: 2048}',
      '  - model_name: not-pulled',
      '    litellm_params:',
      '      model: ollama/qwen3:8b',
      `      api_base: "${ollama.origin}"`,
      'router_settings:',
      '  allowed_fails: 1',
      '  cooldown_time: 30',
      '',
    ].join('\n');
    stack = await startStack({ config, env: fakeEnv(fakes.openai), workers: ['ollama'] });
    // The worker loads warm_up models while it starts; seen here, before the tests reset the fake.
    warmUps = await eventually(
      async () => ollama.received.filter((r) => r.path === '/api/chat' && (r.body as { messages?: unknown[] }).messages?.length === 0),
      (found) => found.length > 0,
      5000,
      50,
    );
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
    await Promise.all([fakes?.stop(), ollama.stop()]);
  });

  beforeEach(() => ollama.reset());

  it('loads a warm_up deployment at worker start, with its keep_alive and num_ctx', () => {
    expect(warmUps).toHaveLength(1);
    expect(warmUps[0].body).toMatchObject({ model: 'llama3.2', keep_alive: '30m', options: { num_ctx: 8192, num_gpu: 1 } });
  });

  it("sends the deployment's keep_alive and options on every call, the call's own options over them, num_ctx always the deployment's", async () => {
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'tuned', temperature: 0.9, max_tokens: 20 } })).status).toBe(200);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'tuned', stream: true } })).status).toBe(200);
    expect((await call(stack.url, '/v1/completions', { body: { model: 'tuned', prompt: 'def add(a, b):', max_tokens: 5 } })).status).toBe(200);
    const [chat, streamed, generate] = ollama.received;
    expect(chat).toMatchObject({ path: '/api/chat', body: { keep_alive: '30m', options: { num_ctx: 8192, num_gpu: 1, temperature: 0.9, num_predict: 20 } } });
    expect(streamed).toMatchObject({ path: '/api/chat', body: { keep_alive: '30m', options: { num_ctx: 8192, num_gpu: 1, temperature: 0.3 } } });
    expect(generate).toMatchObject({ path: '/api/generate', body: { keep_alive: '30m', options: { num_ctx: 8192, num_gpu: 1, num_predict: 5 } } });
    // The deployment's own settings are not Ollama's: never sent.
    expect(JSON.stringify(ollama.received.map((r) => r.body))).not.toContain('warm_up');
  });

  it('warns and counts when Ollama read far fewer prompt tokens than the prompt holds', async () => {
    const worker = stack.workerUrls.get('ollama')!;
    const labels = { model: 'local', provider: 'ollama' };
    const before = valueOf(await scrape(worker), 'switchyard_upstream_prompt_truncated_total', labels);
    // About 3 000 tokens of text that the fake counts as one word: what a server that kept only the end of it would report.
    const long = 'x'.repeat(12_000);
    expect((await call(stack.url, '/v1/chat/completions', { body: { model: 'local', messages: [{ role: 'user', content: long }] } })).status).toBe(200);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local' } })).status).toBe(200);
    const after = valueOf(await scrape(worker), 'switchyard_upstream_prompt_truncated_total', labels);
    expect(after - before).toBe(1);
  });

  it('waits out a busy Ollama and answers, spending no retry and cooling nothing down', async () => {
    // num_retries 0: a busy answer taken as a failure would end the call at once.
    ollama.failNext(3, 503, BUSY);
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local' } });
    expect(res.status).toBe(200);
    expect(ollama.received.filter((r) => r.path === '/api/chat')).toHaveLength(4);

    // Busy answers again and again, more than allowed_fails: the deployment still takes the next call.
    ollama.failNext(2, 503, BUSY);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local' } })).status).toBe(200);
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local' } })).status).toBe(200);
  });

  it('answers 429 once the deadline passes while Ollama stays busy, and the deployment is not cooled down', async () => {
    ollama.failNext(1000, 503, BUSY);
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local-short' } });
    ollama.reset();
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: 'rate_limit_exceeded', message: expect.stringContaining('busy') });
    expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'local-short' } })).status).toBe(200);
  }, 30_000);

  it('names `ollama pull` for a model the server does not have', async () => {
    const res = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'not-pulled' } });
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'model_not_found', message: expect.stringContaining('ollama pull qwen3:8b') });
  });
});
