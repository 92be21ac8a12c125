import { FakeOllamaServer, HELLO, type Stack, call, fakeEnv, startFakes, startStack } from '@test/support';

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';

/**
 * Ollama as operators run it: its 503 "server busy" (its own queue full) is backpressure the call
 * waits out within its deadline, never a failure of the deployment; a model that is not pulled
 * says how to pull it.
 */
describe('Ollama backpressure and missing models', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;

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
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([fakes?.stop(), ollama.stop()]);
  });
  beforeEach(() => ollama.reset());

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
