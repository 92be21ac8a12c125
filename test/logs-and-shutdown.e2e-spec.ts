import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { queueName } from '@app/contracts';
import { createWorkerApp } from '@app/queue';
import {
  type AppProcess,
  MASTER_KEY,
  type Stack,
  TEST_REDIS_URL,
  UPSTREAM_OPENAI_KEY,
  call,
  eventually,
  fakeEnv,
  generateKey,
  startAppProcess,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';
import { WORKER_OPENAI_DEFAULTS } from '../apps/worker-openai/src/main';
import { WorkerOpenAIModule } from '../apps/worker-openai/src/worker-openai.module';

const MODEL = 'openai/gpt-4o-mini';
const chat = (content: string, extra: object = {}) => ({ model: MODEL, messages: [{ role: 'user', content }], ...extra });

/** An HTTP status, or `refused` when nothing listens any more. */
async function probe(url: string): Promise<number | 'refused' | 'error'> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return code === 'ECONNREFUSED' ? 'refused' : 'error';
  }
}

/** Resolves with the exit code, and when it came, once the process has exited. */
function exitOf(app: AppProcess): Promise<{ code: number | null; signal: string | null; at: number }> {
  const { process: child } = app.child;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
}

/** The JSON lines a process printed (LOG_FORMAT=json); a line that is not JSON fails the test that reads it. */
function jsonLines(app: AppProcess): Array<Record<string, unknown>> {
  return app.child
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/**
 * Real processes, as an orchestrator runs them: a gateway and a worker at LOG_LEVEL=verbose (the
 * most there is) with JSON logs, whose output is read back; then each is sent SIGTERM with calls
 * in hand. The tests run in order: the log checks use the processes the shutdown checks then stop.
 */
describe('logs and shutdown of real processes', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;
  let gateway: AppProcess;
  let worker: AppProcess;
  const started: AppProcess[] = [];
  const inProcess: INestApplication[] = [];

  beforeAll(async () => {
    fakes = await startFakes();
    // The in-process gateway gives the database its schema and serves the worker checks once the child gateway is gone.
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai), workers: [] });
    const logEnv = { LOG_LEVEL: 'verbose', LOG_FORMAT: 'json', SHUTDOWN_GRACE: '20' };
    [gateway, worker] = await Promise.all([
      startAppProcess('gateway', { ...stack.env, ...logEnv, SHUTDOWN_DELAY: '2', DISABLE_SCHEMA_UPDATE: 'true' }),
      startAppProcess('worker-openai', { ...stack.env, ...logEnv }),
    ]);
    started.push(gateway, worker);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    for (const app of inProcess) await app.close();
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => fakes.openai.reset());

  it('logs one JSON line per request with id, key alias, model, provider, status and latency, and never a key, a header or a message', async () => {
    const { key } = await generateKey(gateway.url, { key_alias: 'billing-app' });
    const prompt = 'please keep this prompt private';
    const res = await call(gateway.url, '/v1/chat/completions', { key, body: chat(prompt), headers: { 'x-request-id': 'log-check-1' } });
    expect(res.status).toBe(200);
    expect((await call(gateway.url, '/v1/chat/completions', { key, body: chat(prompt, { stream: true }) })).text).toContain('[DONE]');
    expect((await call(gateway.url, '/v1/models', { headers: { 'x-api-key': key }, key: null })).status).toBe(200);
    expect((await call(gateway.url, '/v1/models', { key: 'sk-not-a-real-key-0123456789' })).status).toBe(401);
    expect((await call(gateway.url, `/key/info?key=${encodeURIComponent(key)}`)).status).toBe(200);
    const regenerated = await call(gateway.url, `/key/${encodeURIComponent(key)}/regenerate`, { body: {} });
    expect(regenerated.status).toBe(200);

    const lines = await eventually(
      async () => jsonLines(gateway),
      (all) => all.some((l) => String(l.route).includes('regenerate')),
      5000,
    );
    const line = lines.find((l) => l.reqId === 'log-check-1' && l.context === 'HTTP');
    expect(line).toMatchObject({
      level: 'info',
      app: 'gateway',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      auth: 'virtual',
      keyAlias: 'billing-app',
      model: MODEL,
      provider: 'openai',
      promptTokens: 5,
    });
    expect(typeof line!.latencyMs).toBe('number');
    expect(lines.find((l) => l.status === 401 && l.route === '/v1/models')).toMatchObject({ errorCode: 'invalid_api_key' });
    // The probes' own lines, which are quiet at the default level.
    expect(lines.some((l) => l.level === 'debug' && l.route === '/health/readiness')).toBe(true);
    expect(lines.find((l) => String(l.route).includes('regenerate'))).toMatchObject({ route: '/key/:key/regenerate', status: 200 });

    // The worker logs the call's job id: the client's request id and a suffix of its own.
    const ofThisCall = (l: { callId?: unknown }) => typeof l.callId === 'string' && l.callId.startsWith('log-check-1.');
    const workerLines = await eventually(
      async () => jsonLines(worker),
      (all) => all.some(ofThisCall),
      5000,
    );
    expect(workerLines.find(ofThisCall)).toMatchObject({ level: 'debug', outcome: 'completed', model: MODEL, provider: 'openai' });

    const everything = gateway.child.output() + worker.child.output();
    for (const secret of [key, regenerated.json.key, MASTER_KEY, UPSTREAM_OPENAI_KEY, 'sk-not-a-real-key-0123456789', prompt, 'Bearer']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('gateway on SIGTERM: readiness 503 first, then new connections refused, calls and streams in progress finish, exit 0', async () => {
    const release = fakes.openai.hold();
    const ids = ['drain-call-1', 'drain-stream-1'];
    const answer = call(gateway.url, '/v1/chat/completions', { body: chat('finish me'), headers: { 'x-request-id': ids[0] } });
    const stream = call(gateway.url, '/v1/chat/completions', { body: chat('stream me', { stream: true }), headers: { 'x-request-id': ids[1] } });
    let answered = false;
    void Promise.all([answer, stream]).then(() => (answered = true));
    await eventually(
      async () => fakes.openai.inFlight,
      (n) => n === 2,
      5000,
      20,
    );

    const exited = exitOf(gateway);
    const signalledAt = Date.now();
    gateway.child.process.kill('SIGTERM');
    const readiness = `${gateway.url}/health/readiness`;
    // SHUTDOWN_DELAY=2: two seconds of 503 before the listener closes.
    expect(
      await eventually(
        () => probe(readiness),
        (s) => s === 503 || s === 'refused',
        10_000,
        20,
      ),
    ).toBe(503);
    expect(
      await eventually(
        () => probe(readiness),
        (s) => s === 'refused',
        10_000,
        100,
      ),
    ).toBe('refused');
    expect(answered).toBe(false);

    release();
    const [done, streamed] = await Promise.all([answer, stream]);
    expect(done.status).toBe(200);
    expect(done.json.choices[0].message.content).toBe('echo: finish me');
    expect(streamed.status).toBe(200);
    expect(streamed.text).toContain('"content":"me"');
    expect(streamed.text.trim().endsWith('data: [DONE]')).toBe(true);

    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(20_000);
    // Both calls reached the spend log before the process ended, the stream with its usage.
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      'SELECT request_id, status, total_tokens::int AS total_tokens FROM spend_logs WHERE request_id = ANY($1) ORDER BY request_id',
      [ids],
    );
    await db.end();
    expect(rows).toEqual([
      { request_id: 'drain-call-1', status: 'success', total_tokens: 5 },
      { request_id: 'drain-stream-1', status: 'success', total_tokens: 5 },
    ]);
  });

  it('worker on SIGTERM: takes no new job, finishes the one in hand, exits 0', async () => {
    const release = fakes.openai.hold();
    const answer = call(stack.url, '/v1/chat/completions', { body: chat('finish me too') });
    await eventually(
      async () => fakes.openai.inFlight,
      (n) => n === 1,
      5000,
      20,
    );

    const exited = exitOf(worker);
    worker.child.process.kill('SIGTERM');
    expect(
      await eventually(
        () => probe(`${worker.url}/health/readiness`),
        (s) => s === 503,
        5000,
        20,
      ),
    ).toBe(503);
    release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('echo: finish me too');
    expect((await exited).code).toBe(0);
    expect(fakes.openai.total).toBe(1);
    const lines = jsonLines(worker);
    expect(lines.some((l) => l.outcome === 'returned')).toBe(false);
  });

  it('worker on SIGTERM with a grace period too short: the job goes back to the queue and another worker answers it, once', async () => {
    const hasty = await startAppProcess('worker-openai', { ...stack.env, SHUTDOWN_GRACE: '1' });
    started.push(hasty);
    const release = fakes.openai.hold();
    const answer = call(stack.url, '/v1/chat/completions', { body: chat('do not lose me'), headers: { 'x-request-id': 'grace-too-short-1' } });
    await eventually(
      async () => fakes.openai.inFlight,
      (n) => n === 1,
      5000,
      20,
    );

    const exited = exitOf(hasty);
    const signalledAt = Date.now();
    hasty.child.process.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    expect(
      await eventually(
        async () => fakes.openai.closedEarly,
        (n) => n === 1,
        2000,
        20,
      ),
    ).toBe(1);
    // Back in the queue at once, not left active until its lock expires.
    const queue = new Queue(queueName('openai'), { connection: { url: TEST_REDIS_URL }, prefix: stack.prefix });
    const waiting = await queue.getJobs(['wait']);
    await queue.close();
    expect(waiting.map((job) => job.id)).toEqual([expect.stringMatching(/^grace-too-short-1\./)]);

    release();
    const { app: rescuer } = await createWorkerApp('openai', WORKER_OPENAI_DEFAULTS, stack.env, (c) => WorkerOpenAIModule.forRoot(c));
    inProcess.push(rescuer);
    await rescuer.init();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('echo: do not lose me');
    // The cut-off call and the rescuer's: the job was neither lost nor run a third time.
    await new Promise((r) => setTimeout(r, 500));
    expect(fakes.openai.total).toBe(2);
  });
});
