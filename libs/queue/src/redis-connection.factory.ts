import IORedis, { type RedisOptions } from 'ioredis';

/**
 * `blocking` connections (workers, event listeners) wait on Redis forever and must retry
 * commands indefinitely; request-path connections fail fast so a Redis outage turns
 * into a 503 instead of a hung request.
 */
export function createRedisConnection(url: string, role: 'blocking' | 'request-path', name?: string): IORedis {
  const options: RedisOptions =
    role === 'blocking' ? { maxRetriesPerRequest: null, enableReadyCheck: true } : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000 };
  return new IORedis(url, { ...options, connectionName: name, lazyConnect: false });
}

/** ioredis stops retrying commands on quit(); disconnect() is for connections that never came up. */
export async function closeRedis(connection: IORedis): Promise<void> {
  if (connection.status === 'end') return;
  await connection.quit().catch(() => connection.disconnect());
}
