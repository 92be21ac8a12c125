import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other run uses. */
export function uniquePrefix(): string {
  return `sy-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under the prefix. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Every value under the prefix, whatever its Redis type, as one string: to search for what must not be there. */
export async function redisDump(prefix: string): Promise<string> {
  const redis = new IORedis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    const parts: unknown[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') parts.push(await redis.get(key));
      if (type === 'hash') parts.push(await redis.hgetall(key));
      if (type === 'list') parts.push(await redis.lrange(key, 0, -1));
      if (type === 'set') parts.push(await redis.smembers(key));
      if (type === 'zset') parts.push(await redis.zrange(key, 0, -1));
      if (type === 'stream') parts.push(await redis.xrange(key, '-', '+'));
    }
    return JSON.stringify(parts);
  } finally {
    redis.disconnect();
  }
}
