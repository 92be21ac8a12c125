import { ThrowawayPostgres } from './throwaway-postgres';
import { ThrowawayRedis } from './throwaway-redis';

/** The servers a test run uses, as the variables the specs read (`test-database.ts`, `test-redis.ts`). */
export interface TestServers {
  env: { TEST_DATABASE_URL: string; TEST_REDIS_URL: string };
  /** Stops and removes the servers this run started. */
  stop(): Promise<void>;
  /** The same, for a process that is exiting and cannot wait. */
  stopNow(): void;
}

/** A server that would not start: what it said, and how to give the tests one. */
const explain = (server: string, debianPackage: string, variable: string) => (err: Error) => {
  throw new Error(`The tests could not start ${server} (${err.message.trim()}): apt-get install -y ${debianPackage}, or set ${variable} to a server to use`);
};

/**
 * A PostgreSQL cluster and a Redis server of the run's own, on free ports, from the installed
 * binaries: a run needs nothing running, never touches the machine's own servers and leaves
 * nothing behind. TEST_DATABASE_URL (a database to connect to and create test databases from)
 * and TEST_REDIS_URL name servers to use instead; each is started only when its variable is unset.
 */
export async function startTestServers(given: NodeJS.ProcessEnv = process.env): Promise<TestServers> {
  const [postgres, redis] = await Promise.allSettled([
    given.TEST_DATABASE_URL ? undefined : ThrowawayPostgres.start().catch(explain('PostgreSQL', 'postgresql', 'TEST_DATABASE_URL')),
    given.TEST_REDIS_URL ? undefined : ThrowawayRedis.start().catch(explain('redis-server', 'redis-server', 'TEST_REDIS_URL')),
  ]);
  const pg = postgres.status === 'fulfilled' ? postgres.value : undefined;
  const rd = redis.status === 'fulfilled' ? redis.value : undefined;
  const started = [pg, rd].filter((server) => server !== undefined);
  const stop = async () => void (await Promise.all(started.map((server) => server.remove())));
  for (const result of [postgres, redis]) {
    if (result.status === 'rejected') {
      await stop();
      throw result.reason;
    }
  }
  return {
    env: { TEST_DATABASE_URL: given.TEST_DATABASE_URL || pg!.url(), TEST_REDIS_URL: given.TEST_REDIS_URL || rd!.url },
    stop,
    stopNow: () => started.forEach((server) => server.removeNow()),
  };
}
