import { type Job, UnrecoverableError } from 'bullmq';
import { type ChatJobPayload, SwitchyardError, decodeWireError, encodeWireError } from '@app/contracts';
import { RetryLaterError, retryDelayMs } from '../chat-job.options';

/** Where the detail of a failure (an address, a driver's words) goes: the log, never the client. */
export interface FailureLog {
  warn(message: string): void;
  error(message: string): void;
}

/** The address and driver words of a failure stay in the log: the client's error carries neither. */
export function logDetail(log: FailureLog, job: Pick<Job, 'id'>, error: SwitchyardError): void {
  if (error.detail) log.warn(`job ${job.id}: ${error.message}: ${error.detail}`);
}

/**
 * What ends a job's turn after `err`: retryable failures are retried by BullMQ, after a
 * backoff, while attempts remain and the retry can start before the deadline
 * ({@link RetryLaterError}); everything else ends the job now ({@link UnrecoverableError}).
 * Either carries the error encoded for the gateway; nothing else of it leaves the worker.
 */
export function jobFailure(job: Pick<Job<ChatJobPayload>, 'id' | 'opts' | 'attemptsMade' | 'data'>, err: unknown, log: FailureLog, now = Date.now()): Error {
  if (err instanceof UnrecoverableError) return err;
  const error = err instanceof SwitchyardError ? err : new SwitchyardError('internal_error', 'the worker failed while handling the call');
  if (!(err instanceof SwitchyardError)) log.error(`job ${job.id}: ${(err as Error)?.stack ?? String(err)}`);
  logDetail(log, job, error);
  const encoded = encodeWireError(error.toWire());
  const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
  if (!error.retryable || attemptsLeft <= 0) return new UnrecoverableError(encoded);
  const delay = retryDelayMs(job.attemptsMade + 1, error.retryAfterMs);
  // A retry that could only start after the deadline would turn this answer into a 504.
  if (now + delay >= job.data.deadline) return new UnrecoverableError(encoded);
  return new RetryLaterError(encoded, delay);
}

/**
 * Tokens a failed upstream call counts against its deployment's `tpm`: what a stream that broke
 * off mid-answer used; none when the upstream refused the request itself (the caller's fault:
 * nothing was generated); otherwise the estimate stands (undefined).
 */
export function tokensUsedByFailure(err: unknown): number | undefined {
  if (err instanceof UnrecoverableError) return decodeWireError(err.message)?.usage?.total_tokens;
  if (err instanceof SwitchyardError && err.fault === 'caller') return 0;
  return undefined;
}

/** The upstream's own rate limit, which pauses that deployment (not the queue) and costs the job no attempt. */
export function isUpstreamRateLimit(err: unknown): err is SwitchyardError {
  return err instanceof SwitchyardError && err.code === 'rate_limit_exceeded' && err.retryable;
}
