import { type AppProcess, FakeOllamaServer, type Stack, call, fakeEnv, startAppProcess, startFakes, startStack } from '@test/support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (condition: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await sleep(10);
};

/**
 * Per-deployment limits hold however many worker processes serve the queue: three real
 * worker-ollama processes (4 calls each at once) against a fake that counts what arrives.
 * Then a worker is killed mid-call and another finishes the call.
 */
describe('limits across worker processes', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  const limited = new FakeOllamaServer({ models: ['llama3.2'] });
  const other = new FakeOllamaServer({ models: ['llama3.2'] });
  let stack: Stack;
  let workers: AppProcess[] = [];

  const entry = (name: string, fake: FakeOllamaServer, params: string) =>
    `  - model_name: ${name}\n    litellm_params:\n      model: ollama/llama3.2\n      api_base: "${fake.origin}"\n${params}`;

  beforeAll(async () => {
    fakes = await startFakes();
    await Promise.all([limited.start(), other.start()]);
    const config = [
      'model_list:',
      entry('capped', limited, '      max_parallel_requests: 2\n'),
      entry('metered', limited, '      rpm: 4\n      timeout: 5\n'),
      entry('tokens', limited, '      tpm: 60\n      timeout: 5\n'),
      entry('solo', limited, '      max_parallel_requests: 1\n      timeout: 60\n'),
      entry('free', other, ''),
    ].join('\n');
    stack = await startStack({ config, env: fakeEnv(fakes.openai), workers: [] });
    workers = await Promise.all([1, 2, 3].map(() => startAppProcess('worker-ollama', { ...stack.env, WORKER_CONCURRENCY: '4' })));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.close();
    await Promise.all([limited.stop(), other.stop(), fakes?.stop()]);
  });
  beforeEach(() => {
    limited.reset();
    other.reset();
  });

  const chat = (model: string, content = 'hello there', extra: object = {}) =>
    call(stack.url, '/v1/chat/completions', { body: { model, messages: [{ role: 'user', content }], ...extra } });

  it('max_parallel_requests: never more calls in flight upstream, and the waiting ones hold no worker slot', async () => {
    limited.delayMs = 300;
    let pending = 12;
    const started = Date.now();
    const capped = Array.from({ length: 12 }, (_, i) => chat('capped', `call ${i}`).finally(() => pending--));
    await until(() => limited.total >= 2);
    // Twelve worker slots in all: a waiting call that held one would keep this one out.
    const free = await chat('free');
    expect(free.status).toBe(200);
    expect(pending).toBeGreaterThanOrEqual(4);

    const answers = await Promise.all(capped);
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(limited.total).toBe(12);
    expect(limited.maxInFlight).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(6 * 300 - 100);
  });

  it('rpm: at most that many calls reach the upstream in any minute; the rest answer 429 with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => chat('metered', `call ${i}`)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill(200), ...Array(6).fill(429)]);
    for (const refused of answers.filter((r) => r.status === 429)) {
      expect(refused.json.error.code).toBe('rate_limit_exceeded');
      expect(refused.json.error.message).toContain('rpm');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(50);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect(limited.total).toBe(4);
    expect(limited.maxArrivalsWithin(60_000)).toBe(4);
  });

  it('tpm: counts the estimate up front and the reported usage once the call ends', async () => {
    // "hello there" is 3 tokens by estimate, plus max_tokens 20: 23 each, and 60 allowed per minute.
    const ask = () => chat('tokens', 'hello there', { max_tokens: 20 });
    limited.delayMs = 300;
    const burst = await Promise.all([ask(), ask(), ask()]);
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 429]);
    // Each call really used 5 tokens (the fake counts words), so 50 of the 60 are free again.
    expect(burst.find((r) => r.status === 200)!.json.usage.total_tokens).toBe(5);
    const later = await Promise.all([ask(), ask()]);
    expect(later.map((r) => r.status)).toEqual([200, 200]);
    expect(limited.total).toBe(4);
  });

  it('a worker killed mid-call: another worker re-runs the call within seconds and it is answered once', async () => {
    // Two workers: the one that takes the call, and one started after it, which must pick it up.
    await Promise.all(workers.slice(1).map((w) => w.stop()));
    const [victim] = workers;
    limited.delayMs = 60_000;
    const answer = chat('solo', 'survive this');
    await until(() => limited.inFlight === 1);
    expect(limited.inFlight).toBe(1);
    const rescuer = await startAppProcess('worker-ollama', { ...stack.env, WORKER_CONCURRENCY: '4' });
    workers.push(rescuer);
    limited.delayMs = 0;

    const killedAt = Date.now();
    await victim.kill();
    const res = await answer;
    const elapsed = Date.now() - killedAt;
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('echo: survive this');
    // Lock 4 s, stalled check every 2 s: detected in about 4–6 s, with room for a slow machine.
    expect(elapsed).toBeLessThan(15_000);
    expect(limited.closedEarly).toBe(1);

    // The dead worker's slot of this max_parallel_requests: 1 deployment is not left taken.
    const next = await chat('solo', 'next one');
    expect(next.status).toBe(200);
    await sleep(1000);
    const sent = limited.received.map((r) => (r.body as { messages: { content: string }[] }).messages[0].content);
    expect(sent).toEqual(['survive this', 'survive this', 'next one']);
  }, 60_000);
});
