import { type ErrorCode, SwitchyardError, type SwitchyardErrorOptions } from './switchyard-error';

/** What the gateway itself depends on; a client learns which one failed, never its address or driver. */
export type Dependency = 'database' | 'queue' | 'rate limiter';

const UNAVAILABLE: Record<Dependency, string> = {
  database: 'the database is unavailable; retry shortly',
  queue: 'the queue is unavailable; retry shortly',
  'rate limiter': 'the rate limiter is unavailable; retry shortly',
};

/** Socket-level failures: the other side could not be reached or went away. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The one way a failure inside the system becomes an error a client sees: a plain public
 * message, and the cause (driver message, address, error name) as the internal `detail`, which
 * is logged with the request id and never rendered nor sent through the queue.
 */
export function internalFailure(code: ErrorCode, publicMessage: string, cause: unknown, options: Omit<SwitchyardErrorOptions, 'detail'> = {}): SwitchyardError {
  return new SwitchyardError(code, publicMessage, { ...options, detail: describeCause(cause) });
}

/** Postgres, Redis or the queue could not be used: 503 with a plain message. */
export function dependencyUnavailable(dependency: Dependency, cause: unknown): SwitchyardError {
  return internalFailure('service_unavailable', UNAVAILABLE[dependency], cause);
}

/**
 * Any thrown value where a SwitchyardError is needed: itself if it is one, else a plain 503 for
 * a connection failure and a plain 500 for anything else, the cause kept as the detail.
 */
export function asSwitchyardError(err: unknown): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  if (isConnectionFailure(err)) return internalFailure('service_unavailable', 'a service the gateway depends on is unavailable; retry shortly', err);
  return internalFailure('internal_error', 'internal error', err);
}

/** `Name: message (code)` of a thrown value, for the log only. */
export function describeCause(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  const text = `${cause.name}: ${cause.message}`;
  return typeof code === 'string' && !cause.message.includes(code) ? `${text} (${code})` : text;
}

/** A connection to something the process depends on failed (refused, reset, timed out, unresolvable). */
export function isConnectionFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}
