import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { GatewayConfig } from '@app/config';
import { VirtualKeyEntity, dataSourceOptions } from '@app/database';
import { GatewayMetrics } from '@app/observability';
import { TEST_REDIS_URL, TcpProxy, createTestDatabase, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { ChangeNotices } from '../cluster/change-notices.service';
import { KEY_CACHE_BOUNDS, KeyCacheService } from './key-cache.service';

const hash = () => randomBytes(32).toString('hex');
const eventually = async (check: () => boolean, timeoutMs = 5000) => {
  const until = Date.now() + timeoutMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return check();
};

// Against the real Postgres and Redis: what is measured is the queries the cache sends.
describe('KeyCacheService', () => {
  const prefix = uniquePrefix();
  const redis = TcpProxy.to(TEST_REDIS_URL);
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let notices: ChangeNotices;
  let cache: KeyCacheService;
  let keyQueries = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(database.url));
    await dataSource.initialize();
    await dataSource.runMigrations();
    const logQuery = dataSource.logger.logQuery.bind(dataSource.logger);
    dataSource.logger.logQuery = (query, ...rest) => {
      if (query.includes('virtual_keys')) keyQueries++;
      return logQuery(query, ...rest);
    };
    await redis.start();
    const config = { env: { KEY_CACHE_TTL: 600, QUEUE_PREFIX: prefix, REDIS_URL: `redis://127.0.0.1:${redis.port}` } } as GatewayConfig;
    notices = new ChangeNotices(config);
    await notices.onModuleInit();
    cache = new KeyCacheService(dataSource.getRepository(VirtualKeyEntity), config, notices, new GatewayMetrics(new Registry()));
  });
  afterAll(async () => {
    await notices?.onApplicationShutdown();
    await redis.stop();
    await dataSource?.destroy();
    await database?.drop();
    await deleteRedisPrefix(prefix);
  });

  async function addKey(): Promise<string> {
    const token = hash();
    await dataSource.getRepository(VirtualKeyEntity).insert({ token, keyName: 'sk-...test' });
    return token;
  }

  /** Queries sent while `work` ran. */
  async function queriesDuring(work: () => Promise<unknown>): Promise<number> {
    const before = keyQueries;
    await work();
    return keyQueries - before;
  }

  it('keeps real keys through a flood of unknown ones larger than its unknown-key bound, and reads the flood in batches', async () => {
    const real = await addKey();
    expect((await cache.lookup(real))?.token).toBe(real);
    const flood = Array.from({ length: KEY_CACHE_BOUNDS.maxKeys + KEY_CACHE_BOUNDS.maxUnknown }, hash);
    const queries = await queriesDuring(async () => {
      for (let i = 0; i < flood.length; i += 10_000) {
        const found = await Promise.all(flood.slice(i, i + 10_000).map((t) => cache.lookup(t)));
        expect(found.every((r) => r === null)).toBe(true);
      }
    });
    expect(queries).toBeLessThanOrEqual(Math.ceil(flood.length / KEY_CACHE_BOUNDS.maxKeysPerQuery) + 6 * KEY_CACHE_BOUNDS.maxQueriesInFlight);
    expect(await queriesDuring(() => cache.lookup(real))).toBe(0);
  });

  it('asks Postgres once for an unknown key repeated, and at once again when that key is created and announced', async () => {
    const late = hash();
    expect(await queriesDuring(() => Promise.all(Array.from({ length: 1000 }, () => cache.lookup(late))))).toBe(1);
    expect(await queriesDuring(() => cache.lookup(late))).toBe(0);
    await dataSource.getRepository(VirtualKeyEntity).insert({ token: late, keyName: 'sk-...late' });
    await cache.invalidate([late]);
    expect((await cache.lookup(late))?.token).toBe(late);
  });

  it('trusts nothing cached while it cannot hear change notices, and starts over once it hears them again', async () => {
    const token = await addKey();
    expect((await cache.lookup(token))?.blocked).toBe(false);
    redis.cut();
    try {
      expect(await eventually(() => !notices.listening)).toBe(true);
      // Blocked while this gateway hears nothing: no notice will reach it.
      await dataSource.getRepository(VirtualKeyEntity).update({ token }, { blocked: true });
      expect(await queriesDuring(async () => expect((await cache.lookup(token))?.blocked).toBe(true))).toBe(1);
    } finally {
      await redis.restore();
    }
    expect(await eventually(() => notices.listening, 15_000)).toBe(true);
    expect((await cache.lookup(token))?.blocked).toBe(true);
    expect(await queriesDuring(() => cache.lookup(token))).toBe(0);
  });
});
