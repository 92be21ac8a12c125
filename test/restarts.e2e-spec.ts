import { Client } from 'pg';
import {
  HELLO,
  type Stack,
  ThrowawayPostgres,
  ThrowawayRedis,
  call,
  eventually,
  fakeEnv,
  generateKey,
  startFakes,
  startStack,
  tutorialConfig,
} from '@test/support';

const OPENAI = { ...HELLO, model: 'openai/gpt-4o-mini' };

/**
 * Real restarts of the servers the apps depend on, not a cut connection: each test runs a
 * Redis or a Postgres of its own, stops the server process, and starts it again on the same
 * port. The apps must notice, answer 503 quickly meanwhile, and come back by themselves.
 * (test/resilience.e2e-spec.ts cuts connections through a proxy instead.)
 */
describe('restarts of the servers underneath', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  beforeAll(async () => {
    fakes = await startFakes();
  });
  afterAll(() => fakes?.stop());

  const readiness = (url: string) => call(url, '/health/readiness', { key: null });

  describe('Redis restarted (its data lost)', () => {
    let redis: ThrowawayRedis;
    let stack: Stack;

    beforeAll(async () => {
      redis = await ThrowawayRedis.start();
      stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), REDIS_URL: redis.url } });
    });
    afterAll(async () => {
      await stack?.close();
      await redis?.remove();
    });

    it('gateway and workers: 503 at once while it is down, readiness says so, and they serve again once it is back', async () => {
      const workers = [...stack.workerUrls.values()];
      expect((await call(stack.url, '/v1/chat/completions', { body: OPENAI })).status).toBe(200);

      await redis.stop();
      const started = Date.now();
      for (const body of [OPENAI, HELLO, { ...OPENAI, stream: true }]) {
        const res = await call(stack.url, '/v1/chat/completions', { body });
        expect(res.status).toBe(503);
        expect(res.json.error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });
      }
      expect(Date.now() - started).toBeLessThan(5000);
      const gatewayReady = await readiness(stack.url);
      expect(gatewayReady.status).toBe(503);
      expect(gatewayReady.json.error).toHaveProperty('redis');
      for (const url of workers) expect((await readiness(url)).status).toBe(503);

      await redis.start();
      for (const body of [OPENAI, HELLO]) {
        const back = await eventually(
          () => call(stack.url, '/v1/chat/completions', { body }),
          (r) => r.status === 200,
          15_000,
          200,
        );
        expect(back.status).toBe(200);
      }
      const streamed = await call(stack.url, '/v1/chat/completions', { body: { ...OPENAI, stream: true } });
      expect(streamed.text).toContain('data: [DONE]');
      expect((await readiness(stack.url)).status).toBe(200);
      for (const url of workers)
        expect(
          (
            await eventually(
              () => readiness(url),
              (r) => r.status === 200,
              10_000,
              200,
            )
          ).status,
        ).toBe(200);
    }, 45_000);
  });

  describe('Postgres restarted', () => {
    let postgres: ThrowawayPostgres;
    let stack: Stack;
    let databaseUrl: string;

    beforeAll(async () => {
      postgres = await ThrowawayPostgres.start();
      databaseUrl = await postgres.createDatabase('switchyard_restart');
      stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), DATABASE_URL: databaseUrl }, workers: ['openai'] });
    }, 60_000);
    afterAll(async () => {
      await stack?.close();
      await postgres?.remove();
    });

    it('503 at once for what needs it, cached keys keep working, readiness says so, and it all comes back by itself', async () => {
      const cached = await generateKey(stack.url);
      const uncached = await generateKey(stack.url);
      expect((await call(stack.url, '/v1/chat/completions', { key: cached.key, body: OPENAI })).status).toBe(200);

      await postgres.stop();
      const started = Date.now();
      const lookup = await call(stack.url, '/v1/chat/completions', { key: uncached.key, body: OPENAI });
      expect(lookup.status).toBe(503);
      expect(lookup.json.error).toMatchObject({ code: 'service_unavailable', type: 'api_error' });
      const admin = await call(stack.url, '/key/generate', { body: {} });
      expect(admin.status).toBe(503);
      expect(admin.json.error.code).toBe('service_unavailable');
      expect(Date.now() - started).toBeLessThan(5000);
      const ready = await readiness(stack.url);
      expect(ready.status).toBe(503);
      expect(ready.json.error).toHaveProperty('postgres');
      // A key already in memory still works; its spend waits in memory for Postgres.
      const during = await call(stack.url, '/v1/chat/completions', { key: cached.key, body: OPENAI, headers: { 'x-request-id': 'during-postgres-restart' } });
      expect(during.status).toBe(200);

      await postgres.start();
      const back = await eventually(
        () => call(stack.url, '/v1/chat/completions', { key: uncached.key, body: OPENAI }),
        (r) => r.status === 200,
        15_000,
        200,
      );
      expect(back.status).toBe(200);
      expect((await readiness(stack.url)).status).toBe(200);
      expect((await call(stack.url, '/key/generate', { body: {} })).status).toBe(200);

      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const written = await eventually(
          async () => (await db.query('SELECT count(*)::int AS n FROM spend_logs WHERE request_id = $1', ['during-postgres-restart'])).rows[0].n as number,
          (n) => n === 1,
          10_000,
          200,
        );
        expect(written).toBe(1);
      } finally {
        await db.end();
      }
    }, 45_000);
  });
});
