import { Client } from 'pg';
import { ConfigError } from '@app/config';
import { MIGRATIONS } from '@app/database';
import { createWorkerApp } from '@app/queue';
import {
  ADMIN_DATABASE_URL,
  HELLO,
  MASTER_KEY,
  type Stack,
  TEST_REDIS_URL,
  TcpProxy,
  call,
  createTestDatabase,
  deleteRedisPrefix,
  eventually,
  fakeEnv,
  generateKey,
  startFakes,
  startStack,
  tutorialConfig,
  uniquePrefix,
} from '@test/support';
import { createGatewayApp } from '../apps/gateway/src/create-gateway-app';
import { WORKER_OPENAI_DEFAULTS } from '../apps/worker-openai/src/main';
import { WorkerOpenAIModule } from '../apps/worker-openai/src/worker-openai.module';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('when a dependency goes away', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  beforeAll(async () => {
    fakes = await startFakes();
  });
  afterAll(() => fakes?.stop());
  beforeEach(() => {
    fakes.openai.reset();
    fakes.ollama.reset();
  });

  describe('Postgres unreachable', () => {
    const proxy = TcpProxy.to(ADMIN_DATABASE_URL);
    let stack: Stack;

    beforeAll(async () => {
      await proxy.start();
      stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
      // A second gateway on the same database, reached through the proxy.
      const url = new URL(stack.databaseUrl);
      url.port = String(proxy.port);
      const second = await stack.startGateway({ DATABASE_URL: url.toString() });
      stack.url = second.url;
    });
    afterAll(async () => {
      await stack?.close();
      await proxy.stop();
    });

    it('answers 503 (never 401) for a key it must look up, serves cached keys, and recovers', async () => {
      const cached = await generateKey(stack.url);
      const uncached = await generateKey(stack.url);
      expect((await call(stack.url, '/v1/chat/completions', { key: cached.key, body: HELLO })).status).toBe(200);

      proxy.cut();
      const lookup = await call(stack.url, '/v1/chat/completions', { key: uncached.key, body: HELLO });
      expect(lookup.status).toBe(503);
      expect(lookup.json.error.code).toBe('service_unavailable');
      expect((await call(stack.url, '/v1/chat/completions', { key: cached.key, body: HELLO })).status).toBe(200);
      const ready = await call(stack.url, '/health/readiness', { key: null });
      expect(ready.status).toBe(503);
      expect(ready.json.error).toHaveProperty('postgres');
      expect((await call(stack.url, '/health/liveliness', { key: null })).status).toBe(200);

      proxy.restore();
      const back = await eventually(
        () => call(stack.url, '/v1/chat/completions', { key: uncached.key, body: HELLO }),
        (r) => r.status === 200,
      );
      expect(back.status).toBe(200);
    });
  });

  describe('Redis unreachable for the gateway', () => {
    const proxy = TcpProxy.to(TEST_REDIS_URL);
    let stack: Stack;

    beforeAll(async () => {
      await proxy.start();
      stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
      const second = await stack.startGateway({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      stack.url = second.url;
    });
    afterAll(async () => {
      await stack?.close();
      await proxy.stop();
    });

    it('fails fast with 503 in the OpenAI shape, reports it in readiness, and recovers by itself', async () => {
      expect((await call(stack.url, '/v1/chat/completions', { body: HELLO })).status).toBe(200);

      proxy.cut();
      const started = Date.now();
      const res = await call(stack.url, '/v1/chat/completions', { body: HELLO });
      expect(res.status).toBe(503);
      expect(res.json.error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });
      expect(Date.now() - started).toBeLessThan(3000);
      const ready = await call(stack.url, '/health/readiness', { key: null });
      expect(ready.status).toBe(503);
      expect(ready.json.error).toHaveProperty('redis');

      proxy.restore();
      const back = await eventually(
        () => call(stack.url, '/v1/chat/completions', { body: HELLO }),
        (r) => r.status === 200,
      );
      expect(back.status).toBe(200);
      expect((await call(stack.url, '/health/readiness', { key: null })).status).toBe(200);
    });
  });

  describe('no worker for a provider', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai), workers: ['openai'] });
    });
    afterAll(() => stack?.close());

    it('answers 503 at once naming the worker to start, and queues nothing', async () => {
      const started = Date.now();
      const res = await call(stack.url, '/v1/chat/completions', { body: HELLO });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('no_worker_available');
      expect(res.json.error.message).toContain('worker-ollama');
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'openai/gpt-4o-mini' } })).status).toBe(200);
    });
  });
});

describe('deadlines and shutdown', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    const extra = ['slow:5', 'quick:1']
      .map((entry) => {
        const [name, timeout] = entry.split(':');
        return `  - model_name: ${name}\n    litellm_params:\n      model: ollama/llama3.2\n      api_base: "${fakes.ollama.origin}"\n      timeout: ${timeout}\n`;
      })
      .join('');
    stack = await startStack({ config: tutorialConfig(fakes.ollama, extra), env: { ...fakeEnv(fakes.openai), WORKER_CONCURRENCY: '1' } });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });
  beforeEach(() => fakes.ollama.reset());

  it('answers 504 for a job still queued at its deadline, and never runs it later', async () => {
    fakes.ollama.delayMs = 2000;
    const slow = call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'slow' } });
    await sleep(100);
    const started = Date.now();
    const quick = await call(stack.url, '/v1/chat/completions', { body: { ...HELLO, model: 'quick' } });
    expect(quick.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1800);
    expect((await slow).status).toBe(200);
    await sleep(500);
    expect(fakes.ollama.total).toBe(1);
  });

  it('lets a worker finish the job in hand when it shuts down', async () => {
    fakes.ollama.delayMs = 800;
    const inFlight = call(stack.url, '/v1/chat/completions', { body: HELLO });
    await eventually(
      async () => fakes.ollama.inFlight,
      (n) => n === 1,
      2000,
    );
    const worker = stack.workers.get('ollama')!;
    await worker.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.json.choices[0].message.content).toBe('echo: hello there');
  });
});

describe('replicas', () => {
  it('apply migrations once when two gateways start together on a new database', async () => {
    const fakes = await startFakes();
    const database = await createTestDatabase();
    const prefix = uniquePrefix();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const configFile = join(mkdtempSync(join(tmpdir(), 'sy-')), 'config.yaml');
    writeFileSync(configFile, tutorialConfig(fakes.ollama));
    const env = { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, CONFIG_FILE: configFile, MASTER_KEY, LOG_LEVEL: 'error' };
    const apps = await Promise.all([createGatewayApp(env), createGatewayApp(env)]);
    try {
      await Promise.all(apps.map(({ app }) => app.init()));
      const db = new Client({ connectionString: database.url });
      await db.connect();
      const { rows } = await db.query('SELECT name FROM migrations');
      const tables = await db.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'virtual_keys'");
      await db.end();
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name));
      expect(tables.rows[0].n).toBe(1);
    } finally {
      await Promise.all(apps.map(({ app }) => app.close()));
      await database.drop();
      await deleteRedisPrefix(prefix);
      await fakes.stop();
    }
  });

  it('stop accepting a deleted key on every gateway within a second', async () => {
    const fakes = await startFakes();
    const stack = await startStack({ config: tutorialConfig(fakes.ollama), env: fakeEnv(fakes.openai) });
    try {
      const other = await stack.startGateway();
      const { key } = await generateKey(stack.url);
      expect((await call(other.url, '/v1/models', { key })).status).toBe(200);
      await call(stack.url, '/key/delete', { body: { keys: [key] } });
      const started = Date.now();
      const refused = await eventually(
        () => call(other.url, '/v1/models', { key }),
        (r) => r.status === 401,
        1000,
      );
      expect(refused.status).toBe(401);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await stack.close();
      await fakes.stop();
    }
  });
});

describe('boot with a bad setting', () => {
  const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres', MASTER_KEY, CONFIG_FILE: 'config.example.yaml' };

  it.each([
    ['no DATABASE_URL', { ...base, DATABASE_URL: '' }, 'DATABASE_URL is required'],
    ['no master key', { ...base, MASTER_KEY: '' }, 'MASTER_KEY is required'],
    ['a missing config file', { ...base, CONFIG_FILE: '/nonexistent/config.yaml' }, 'CONFIG_FILE /nonexistent/config.yaml: file not found'],
  ])('the gateway stops with %s, naming it', async (_case, env, message) => {
    const error = await createGatewayApp(env).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(message);
  });

  it('worker-openai stops when the config needs OPENAI_API_KEY and it is not set', async () => {
    const error = await createWorkerApp('openai', WORKER_OPENAI_DEFAULTS, { CONFIG_FILE: 'config.example.yaml' }, (c) => WorkerOpenAIModule.forRoot(c)).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('environment variable OPENAI_API_KEY is not set');
  });
});
