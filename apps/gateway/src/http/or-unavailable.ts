import { QueryFailedError } from 'typeorm';
import { SwitchyardError, dependencyUnavailable } from '@app/contracts';

/**
 * SQLSTATE classes and codes that mean Postgres could not be used at all, not that the query
 * was wrong: connection exceptions (08), too many connections, shutting down or starting up.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[1-3])$/;

/** The query could not run because Postgres is unreachable (also when TypeORM wraps the driver's error). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return true;
  const code = (err.driverError as { code?: unknown } | undefined)?.code;
  // pg's own connection errors ("Connection terminated unexpectedly") carry no SQLSTATE.
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || UNAVAILABLE_SQLSTATE.test(code);
}

/**
 * A Postgres failure that is not about the query itself (connection refused, timeout) is a 503
 * with a plain message; the driver's words go to the log. A failed query is rethrown as it is, for
 * the caller to handle (a unique violation) or to become a plain 500.
 */
export async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof SwitchyardError || !isDatabaseUnavailable(err)) throw err;
    throw dependencyUnavailable('database', err);
  }
}
