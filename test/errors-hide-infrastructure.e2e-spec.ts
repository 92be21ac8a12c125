import {
  ADMIN_DATABASE_URL,
  type AppProcess,
  HELLO,
  type Stack,
  TEST_REDIS_URL,
  TcpProxy,
  call,
  eventually,
  fakeEnv,
  freePort,
  generateKey,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

type Answer = Awaited<ReturnType<typeof call>>;

/** What a client must never read in an answer: addresses, socket codes, error class names, stack frames, driver names. */
function leaks(text: string, ports: number[]): string[] {
  const patterns: Array<[string, RegExp]> = [
    ['a socket error code', /\bE(CONN\w+|TIMEDOUT|NOTFOUND|PIPE|AI_AGAIN|HOSTUNREACH)\b/],
    ['a host', /127\.0\.0\.1|localhost|::1/],
    ['an error class name', /\b[A-Z][A-Za-z]*Error\b/],
    ['a stack frame', /\bat \S+ \(|\n\s+at |\.[jt]s:\d+/],
    ['a connection string', /\w+:\/\//],
    ...ports.map((port): [string, RegExp] => [`port ${port}`, new RegExp(`\\b${port}\\b`)]),
  ];
  return patterns.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}

/** One JSON log line per entry, as the apps write them with LOG_FORMAT=json. */
function logLines(child: AppProcess): Array<Record<string, unknown>> {
  return child.child
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe('errors never show infrastructure', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let gateway: AppProcess;
  let worker: AppProcess;
  let closedPort: number;
  const postgres = TcpProxy.to(ADMIN_DATABASE_URL);
  const redis = TcpProxy.to(TEST_REDIS_URL);
  const ports = () => [postgres.port, redis.port, closedPort, postgres.targetPort, redis.targetPort];

  beforeAll(async () => {
    fakes = await startFakes();
    closedPort = await freePort();
    const unreachable = `  - model_name: unreachable\n    litellm_params:\n      model: ollama/llama3.2\n      api_base: "http://127.0.0.1:${closedPort}"\n      num_retries: 0\n`;
    await Promise.all([postgres.start(), redis.start()]);
    // The Ollama worker and a second gateway run as processes of their own, so their logs can be read.
    stack = await startStack({ config: tutorialConfig(fakes.ollama, unreachable), env: fakeEnv(fakes.openai), workers: ['openai'] });
    const logs = { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
    const database = new URL(stack.databaseUrl);
    database.port = String(postgres.port);
    [gateway, worker] = await Promise.all([
      startAppProcess('gateway', {
        ...stack.env,
        ...logs,
        DATABASE_URL: database.toString(),
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        DISABLE_SCHEMA_UPDATE: 'true',
      }),
      startAppProcess('worker-ollama', { ...stack.env, ...logs }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await stack?.close();
    await Promise.all([postgres.stop(), redis.stop(), fakes?.stop()]);
  });

  /** The answer is an OpenAI error with `status`, a plain message ending with its request id, and nothing of the infrastructure. */
  function expectPlainError(answer: Answer, status: number): string {
    const requestId = answer.headers.get('x-request-id') ?? '';
    expect({ status: answer.status, leaks: leaks(answer.text, ports()) }).toEqual({ status, leaks: [] });
    expect(answer.json.error).toEqual({
      message: expect.stringContaining(`(request id ${requestId})`),
      type: expect.any(String),
      param: null,
      code: expect.any(String),
    });
    expect(answer.json.error.message).not.toMatch(/postgres|redis|ioredis|typeorm|bullmq|\bpg\b/i);
    return requestId;
  }

  /** The gateway's log line for the request keeps what the answer does not show (its output may arrive just after the answer). */
  async function loggedDetail(requestId: string): Promise<string> {
    const find = async () => String(logLines(gateway).find((l) => l.reqId === requestId && typeof l.errorDetail === 'string')?.errorDetail ?? '');
    return eventually(find, (detail) => detail !== '', 2000, 50);
  }

  async function restore(proxy: TcpProxy): Promise<void> {
    await proxy.restore();
    const ready = await eventually(
      () => call(gateway.url, '/health/readiness', { key: null }),
      (r) => r.status === 200,
      30_000,
      200,
    );
    expect(ready.status).toBe(200);
  }

  it('Postgres refusing connections: 503 with a plain message and the request id; the log has the driver error', async () => {
    const uncached = await generateKey(stack.url);
    await postgres.refuse();
    try {
      const answers = [
        await call(gateway.url, '/v1/chat/completions', { key: uncached.key, body: HELLO }),
        await call(gateway.url, `/key/info?key=${encodeURIComponent(uncached.key)}`),
        await call(gateway.url, '/key/generate', { body: {} }),
        await call(gateway.url, '/spend/logs'),
      ];
      const ids = answers.map((answer) => expectPlainError(answer, 503));
      for (const answer of answers) expect(answer.json.error.message).toMatch(/^the database is unavailable; retry shortly/);
      expect(await Promise.all(ids.map(loggedDetail))).toEqual(ids.map(() => expect.stringContaining(`ECONNREFUSED 127.0.0.1:${postgres.port}`)));

      const ready = await call(gateway.url, '/health/readiness', { key: null });
      expect(ready.status).toBe(503);
      expect(ready.json.error.postgres).toEqual({ status: 'down', message: 'unreachable' });
      expect(leaks(ready.text, ports())).toEqual([]);
    } finally {
      await restore(postgres);
    }
  });

  it('Redis refusing connections: 503 with a plain message and the request id, streamed or not; the log has the detail', async () => {
    const limited = await generateKey(stack.url, { rpm_limit: 1000 });
    expect((await call(gateway.url, '/v1/models', { key: limited.key })).status).toBe(200);
    await redis.refuse();
    try {
      const answers = [
        await call(gateway.url, '/v1/chat/completions', { body: HELLO }),
        await call(gateway.url, '/v1/chat/completions', { body: { ...HELLO, stream: true } }),
        await call(gateway.url, '/v1/chat/completions', { key: limited.key, body: HELLO }),
      ];
      const ids = answers.map((answer) => expectPlainError(answer, 503));
      expect(answers.map((a) => a.json.error.message.replace(/ \(request id .*\)$/, ''))).toEqual([
        'the queue is unavailable; retry shortly',
        'the queue is unavailable; retry shortly',
        'the rate limiter is unavailable; retry shortly',
      ]);
      for (const id of ids) expect(await loggedDetail(id)).not.toBe('');

      const ready = await call(gateway.url, '/health/readiness', { key: null });
      expect(ready.status).toBe(503);
      expect(ready.json.error.redis.status).toBe('down');
      expect(leaks(ready.text, ports())).toEqual([]);
    } finally {
      await restore(redis);
    }
  });

  it('an unreachable upstream: 502 without its address, streamed or not; the worker log has host:port', async () => {
    const answers = [
      await call(gateway.url, '/v1/chat/completions', { body: { ...HELLO, model: 'unreachable' } }),
      await call(gateway.url, '/v1/chat/completions', { body: { ...HELLO, model: 'unreachable', stream: true } }),
    ];
    const ids = answers.map((answer) => expectPlainError(answer, 502));
    for (const answer of answers) expect(answer.json.error.message).toMatch(/^ollama upstream could not be reached/);
    const workerLog = logLines(worker).map((l) => String(l.msg ?? ''));
    for (const id of ids) expect(workerLog.find((msg) => msg.includes(id))).toContain(`127.0.0.1:${closedPort}: ECONNREFUSED`);
  });
});
