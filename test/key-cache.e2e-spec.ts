import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { type Stack, TEST_REDIS_URL, TcpProxy, call, eventually, fakeEnv, generateKey, startFakes, startStack, tutorialConfig } from '@test/support';

/** Counts the SQL statements a gateway sends about virtual keys. */
function countKeyQueries(app: INestApplication): () => number {
  const dataSource = app.get(DataSource);
  let count = 0;
  const logQuery = dataSource.logger.logQuery.bind(dataSource.logger);
  dataSource.logger.logQuery = (query, ...rest) => {
    if (query.includes('virtual_keys')) count++;
    return logQuery(query, ...rest);
  };
  return () => count;
}

/** A client address of its own (the gateway trusts the loopback proxy's X-Forwarded-For), as in a flood from many machines. */
const someAddress = () => `10.${randomBytes(3).join('.')}`;

const models = (url: string, key: string) => call(url, '/v1/models', { key, headers: { 'x-forwarded-for': someAddress() } });

/**
 * Statuses of `/v1/models` for each key, sent as fast as a client on 64 kept-alive connections
 * can, each from an address of its own: one address would be locked out after 10 wrong keys.
 */
async function burst(url: string, keys: string[]): Promise<number[]> {
  const dispatcher = new Agent({ connections: 64 });
  try {
    return await Promise.all(
      keys.map(async (key) => {
        const res = await request(`${url}/v1/models`, { dispatcher, headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': someAddress() } });
        await res.body.dump();
        return res.statusCode;
      }),
    );
  } finally {
    await dispatcher.close();
  }
}

describe('the key cache', () => {
  let fakes: Awaited<ReturnType<typeof startFakes>>;
  let stack: Stack;

  beforeAll(async () => {
    fakes = await startFakes();
    // Cached keys would stay for an hour: whatever refuses a changed key sooner is not the expiry.
    stack = await startStack({ config: tutorialConfig(fakes.ollama), env: { ...fakeEnv(fakes.openai), KEY_CACHE_TTL: '3600', TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await stack?.close();
    await fakes?.stop();
  });

  describe('a flood of unknown keys', () => {
    it('costs far fewer Postgres queries than keys, and real keys stay cached', async () => {
      const queries = countKeyQueries(stack.gateway);
      const real = await generateKey(stack.url);
      expect((await models(stack.url, real.key)).status).toBe(200);

      const before = queries();
      const flood = Array.from({ length: 1000 }, () => `sk-${randomBytes(16).toString('hex')}`);
      const repeated = Array.from({ length: 200 }, () => 'sk-the-same-wrong-key');
      const statuses = await burst(stack.url, [...flood, ...repeated]);
      expect(statuses.every((status) => status === 401)).toBe(true);
      // One query per 10 ms at most, for all the keys that missed meanwhile: a burst that takes a
      // second or two here costs about a hundred or two, where each key cost one before.
      expect(queries() - before).toBeLessThan(300);

      const afterFlood = queries();
      for (let i = 0; i < 5; i++) expect((await models(stack.url, real.key)).status).toBe(200);
      expect(queries() - afterFlood).toBe(0);
    });

    it('lets a key created after it was looked up as unknown work at once, on every gateway', async () => {
      const other = await stack.startGateway();
      const key = `sk-late-${randomBytes(8).toString('hex')}`;
      for (const url of [stack.url, other.url]) expect((await models(url, key)).status).toBe(401);
      await generateKey(stack.url, { key });
      expect((await models(stack.url, key)).status).toBe(200);
      const there = await eventually(
        () => models(other.url, key),
        (r) => r.status === 200,
        1000,
        25,
      );
      expect(there.status).toBe(200);
      await other.app.close();
    });
  });

  describe('change notices that fail to arrive', () => {
    const redis = TcpProxy.to(TEST_REDIS_URL);
    let proxied: { app: INestApplication; url: string };

    beforeAll(async () => {
      await redis.start();
      proxied = await stack.startGateway({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    });
    afterAll(async () => {
      await proxied?.app.close();
      await redis.stop();
    });

    it('a gateway that could not announce a block announces it once Redis is back: the other refuses the key within seconds', async () => {
      const { key } = await generateKey(stack.url);
      expect((await models(stack.url, key)).status).toBe(200);
      await redis.refuse();
      try {
        expect((await call(proxied.url, '/key/block', { body: { key } })).status).toBe(200);
        expect((await models(proxied.url, key)).status).toBe(401);
      } finally {
        await redis.restore();
      }
      const started = Date.now();
      const refused = await eventually(
        () => models(stack.url, key),
        (r) => r.status === 401,
        10_000,
        100,
      );
      expect(refused.status).toBe(401);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('a gateway that cannot hear notices does not serve a key from its cache: a key blocked meanwhile is refused at once', async () => {
      const { key } = await generateKey(stack.url);
      expect((await models(proxied.url, key)).status).toBe(200);
      await redis.refuse();
      try {
        // Give the gateway a moment to notice the lost connection, as it would after any outage.
        await new Promise((r) => setTimeout(r, 200));
        expect((await call(stack.url, '/key/block', { body: { key } })).status).toBe(200);
        expect((await models(proxied.url, key)).status).toBe(401);
      } finally {
        await redis.restore();
      }
      const ready = await eventually(
        () => call(proxied.url, '/health/readiness', { key: null }),
        (r) => r.status === 200,
        15_000,
        200,
      );
      expect(ready.status).toBe(200);
      expect((await models(proxied.url, key)).status).toBe(401);
    });
  });
});
