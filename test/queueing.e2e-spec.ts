import { FakeOllamaServer, type Stack, call, fakeEnv, generateKey, startFakes, startStack } from '@test/support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await sleep(10);
};

/**
 * How a backend's calls wait, retry and give up, as a client sees it. Two Ollama servers
 * behind one queue (`chat-ollama`), served by a worker that runs one call at a time, so
 * any call that held the worker while waiting would hold up everything.
 */
describe('one backend queue, several deployments', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const a = new FakeOllamaServer({ models: ['llama3.2'] });
  const b = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;

  const entry = (name: string, fake: FakeOllamaServer, params = '') =>
    `  - model_name: ${name}\n    litellm_params:\n      model: ollama/llama3.2\n      api_base: "${fake.origin}"\n${params}`;

  beforeAll(async () => {
    fakes = await startFakes();
    await Promise.all([a.start(), b.start()]);
    const config = [
      'model_list:',
      entry('a', a, '      num_retries: 0\n'),
      entry('b', b),
      entry('a-short', a, '      timeout: 1\n'),
      entry('streamy', a, '      timeout: 10\n      stream_timeout: 0.5\n'),
    ].join('\n');
    stack = await startStack({ config, env: { ...fakeEnv(fakes.openai), WORKER_CONCURRENCY: '1' } });
  });
  afterAll(async () => {
    await stack?.close();
    await Promise.all([a.stop(), b.stop(), fakes?.stop()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  const chat = (model: string, content: string, init: { key?: string; extra?: object } = {}) =>
    call(stack.url, '/v1/chat/completions', { key: init.key, body: { model, messages: [{ role: 'user', content }], ...init.extra } });
  const contents = (fake: FakeOllamaServer) => fake.received.map((r) => (r.body as { messages: { content: string }[] }).messages[0].content);

  it('pauses only the deployment that answered 429, for its Retry-After, without spending an attempt', async () => {
    a.failNext(1, 429, 'slow down', { 'retry-after-ms': '1500' });
    let pendingOnA = 2;
    const first = chat('a', 'first').finally(() => pendingOnA--);
    await until(() => a.total === 1);
    const second = chat('a', 'second').finally(() => pendingOnA--);
    const other = await chat('b', 'other');
    expect(other.status).toBe(200);
    // Served while `a` waits out its pause, by the worker's only slot.
    expect(pendingOnA).toBe(2);

    const answers = await Promise.all([first, second]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(answers[0].json.choices[0].message.content).toBe('echo: first');
    // num_retries is 0: the 429 spent no attempt. Nothing reached `a` during the pause.
    const [limited, ...after] = a.received;
    expect(after).toHaveLength(2);
    for (const request of after) expect(request.at - limited.at).toBeGreaterThanOrEqual(1450);
    expect(b.received[0].at).toBeLessThan(after[0].at);
  });

  it('retries 5xx with growing waits up to num_retries, then answers', async () => {
    b.failNext(2, 500, 'llama runner process has terminated');
    const res = await chat('b', 'again');
    expect(res.status).toBe(200);
    const [t1, t2, t3] = b.received.map((r) => r.at);
    expect(b.total).toBe(3);
    // Retry n waits between half and all of 500 ms · 2^(n-1).
    expect(t2 - t1).toBeGreaterThanOrEqual(240);
    expect(t3 - t2).toBeGreaterThanOrEqual(490);
  });

  it("waits at least a 503's Retry-After before retrying", async () => {
    b.failNext(1, 503, 'loading model', { 'retry-after': '1' });
    expect((await chat('b', 'patience')).status).toBe(200);
    const [t1, t2] = b.received.map((r) => r.at);
    expect(t2 - t1).toBeGreaterThanOrEqual(980);
  });

  it('does not retry when the retry could only start after the deadline, and passes Retry-After on', async () => {
    a.failNext(1, 503, 'loading model', { 'retry-after': '3' });
    const res = await chat('a-short', 'too late');
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('upstream_unavailable');
    expect(res.headers.get('retry-after')).toBe('3');
    expect(a.total).toBe(1);
  });

  it('bounds a streamed call by stream_timeout and other calls by timeout', async () => {
    a.delayMs = 1500;
    const streamed = await call(stack.url, '/v1/chat/completions', { body: { model: 'streamy', messages: [{ role: 'user', content: 'slow' }], stream: true } });
    expect(streamed.status).toBe(504);
    expect(streamed.json.error.code).toBe('timeout');
    expect((await chat('streamy', 'slow')).status).toBe(200);
  });

  it("runs ordinary calls first, then prioritized ones by priority: the key's metadata, a request's own only if no sooner than its key's", async () => {
    const high = await generateKey(stack.url, { metadata: { priority: 10 } });
    const low = await generateKey(stack.url, { metadata: { priority: 200 } });
    b.delayMs = 800;
    const blocker = chat('b', 'blocker');
    await until(() => b.inFlight === 1);
    b.delayMs = 0;
    const queued: Promise<unknown>[] = [];
    for (const [content, init] of [
      ['low 1', { key: low.key }],
      ['low asks for 0', { key: low.key, extra: { priority: 0 } }],
      ['default', {}],
      ['high', { key: high.key }],
      ['master asks for 5', { extra: { priority: 5 } }],
      ['low 2', { key: low.key }],
    ] as const) {
      queued.push(chat('b', content, init));
      await sleep(40);
    }
    await Promise.all([blocker, ...queued]);
    expect(contents(b)).toEqual(['blocker', 'default', 'master asks for 5', 'high', 'low 1', 'low asks for 0', 'low 2']);
    // `priority` is the gateway's; the upstream never sees it.
    expect(b.received.every((r) => !('priority' in (r.body as object)))).toBe(true);
  });
});
