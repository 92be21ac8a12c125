import IORedis from 'ioredis';
import type { GatewayConfig } from '@app/config';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '../../../../test/support/test-redis';
import type { KeyRecord } from '../auth/auth-context';
import { KeyLimits } from './key-limits.service';

const key = (fields: Partial<KeyRecord>): KeyRecord => ({
  id: 'key-f',
  token: 'f'.repeat(64),
  keyName: 'sk-...ffff',
  keyAlias: null,
  models: [],
  metadata: {},
  expires: null,
  blocked: false,
  spend: 0,
  maxBudget: null,
  budgetDuration: null,
  budgetResetAt: null,
  rpmLimit: null,
  tpmLimit: null,
  maxParallelRequests: null,
  ...fields,
});

describe('KeyLimits against real Redis', () => {
  const prefix = uniquePrefix();
  const limits = new KeyLimits({ env: { QUEUE_PREFIX: prefix, REDIS_URL: TEST_REDIS_URL } } as GatewayConfig);
  const redis = new IORedis(TEST_REDIS_URL);

  beforeAll(() => limits.onModuleInit());
  afterAll(async () => {
    await limits.onApplicationShutdown();
    redis.disconnect();
    await deleteRedisPrefix(prefix);
  });

  it('keeps a long call slot alive when a short call is admitted after it', async () => {
    const k = key({ maxParallelRequests: 5 });
    const now = Date.now();
    const long = await limits.admit({ key: k, requestId: 'long', deadline: now + 600_000, estimatedCost: 0 }, now);
    const short = await limits.admit({ key: k, requestId: 'short', deadline: now + 2_000, estimatedCost: 0 }, now);
    const ttl = await redis.pttl(`${prefix}:limits:{${k.id}}:in-flight`);
    expect(ttl).toBeGreaterThan(590_000);
    await short.release({ tokens: 0, cost: 0 });
    await long.release({ tokens: 0, cost: 0 });
  });

  it('refuses the call over max_parallel_requests and takes one again once a slot is released', async () => {
    const k = key({ id: 'key-e', token: 'e'.repeat(64), maxParallelRequests: 1 });
    const first = await limits.admit({ key: k, requestId: 'a', deadline: Date.now() + 60_000, estimatedCost: 0 });
    await expect(limits.admit({ key: k, requestId: 'b', deadline: Date.now() + 60_000, estimatedCost: 0 })).rejects.toMatchObject({ code: 'rate_limit_exceeded', status: 429 });
    await first.release({ tokens: 0, cost: 0 });
    const again = await limits.admit({ key: k, requestId: 'c', deadline: Date.now() + 60_000, estimatedCost: 0 });
    await again.release({ tokens: 0, cost: 0 });
  });

  it('touches no Redis key for a key without limits', async () => {
    const before = await redis.keys(`${prefix}:*`);
    const admission = await limits.admit({ key: key({ id: 'key-d', token: 'd'.repeat(64) }), requestId: 'x', deadline: Date.now() + 1000, estimatedCost: 1 });
    expect(admission.headers).toEqual({});
    expect(await redis.keys(`${prefix}:*`)).toEqual(before);
  });
});
