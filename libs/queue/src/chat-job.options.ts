import type { BackoffStrategy, JobsOptions, QueueOptions, WorkerOptions } from 'bullmq';

/**
 * Attempts, backoff, priority and retention of chat jobs, and the worker timings that go
 * with them, in one place.
 *
 * Finished jobs (completed, failed, also after stalling, and cancelled) are removed at once:
 * the answer travels to the gateway's inbox, and a request id may be reused by a later
 * call once the earlier one has finished.
 */
export const DEFAULT_NUM_RETRIES = 2;

/**
 * Job priority, for traffic that may wait: lower runs sooner among prioritized jobs, and BullMQ
 * runs every job without a priority first. Ordinary calls carry none, so they sit in the queue's
 * `wait` list, which is also what autoscalers (KEDA) read.
 */
export const PRIORITY = { max: 1_000_000 } as const;

/** Exponential backoff between attempts: retry n waits between half and all of `base·2^(n-1)`, capped. */
export const RETRY_BACKOFF = { baseMs: 500, maxMs: 8_000 } as const;

/** Named in every chat job; the worker's {@link chatBackoffStrategy} computes the delay. */
export const CHAT_BACKOFF_TYPE = 'switchyard';

/**
 * How long anything of a call stays in Redis once it is over, answer text above all; the README
 * ("How calls travel") states these bounds.
 */
export const RETENTION = {
  /**
   * Seconds a call's own stream (`…:events:<id>`) outlives its last write. Each write sets it, in
   * the same round trip, so a write after the gateway deleted the stream (the client hung up)
   * leaves a key that expires. The gateway reads as the worker writes: it never needs more.
   */
  callStreamSeconds: 60,
  /** Events a call's stream holds at most. */
  callStreamMaxEvents: 10_000,
  /**
   * Seconds a gateway's inbox (`<prefix>:inbox:<gatewayId>`) outlives the last write to it. Each
   * write sets it in the same round trip; its gateway deletes what it reads at once, so this
   * bounds what is left in the inbox of a gateway that died.
   */
  inboxSeconds: 60,
  /** Entries an inbox holds at most (approximately): far more than a gateway's reader ever lags behind. */
  inboxMaxEntries: 100_000,
  /** Seconds a cancel marker (`…:cancelled:<id>`, no content) waits for a worker that takes the job after the notice. */
  cancelMarkerSeconds: 600,
  /**
   * Seconds the queue's event stream (`<prefix>:<queue>:events`) keeps an event. Gateways read
   * their outcomes from their inboxes; a completed event carries the answer only for a job from a
   * gateway before inboxes (no `replyTo`), and this bounds how long it stays.
   */
  queueEventsSeconds: 60,
  /**
   * Events the queue's event stream holds at most, whatever their age: about 1 000 calls (5 events
   * each), a second or more of one queue's peak rate on the bench machine. A reader further behind
   * than that at such a rate loses answers (its calls end at their deadline), so keep it above a
   * second of the busiest queue's events.
   */
  queueEventsMaxLen: 5_000,
  /** How often every app trims the event streams of its queues to `queueEventsSeconds`. */
  trimEveryMs: 5_000,
} as const;

/** What every Queue of a chat queue is opened with: BullMQ stores it in the queue's meta key for all. */
export const CHAT_QUEUE_OPTIONS = { streams: { events: { maxLen: RETENTION.queueEventsMaxLen } } } as const satisfies Pick<QueueOptions, 'streams'>;

export interface ChatJobOptions {
  numRetries?: number;
  /** On the {@link PRIORITY} scale; unset for ordinary calls. */
  priority?: number;
}

export function chatJobOptions(callId: string, options: ChatJobOptions = {}): JobsOptions {
  return {
    jobId: callId,
    attempts: (options.numRetries ?? DEFAULT_NUM_RETRIES) + 1,
    backoff: { type: CHAT_BACKOFF_TYPE },
    // BullMQ's priorities start at 1; 0 means none.
    ...(options.priority === undefined ? {} : { priority: options.priority + 1 }),
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * The wait before retry `attempt` (1 = the first retry): exponential with jitter, and never
 * shorter than the upstream's `Retry-After` when it sent one (e.g. with a 503).
 */
export function retryDelayMs(attempt: number, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_BACKOFF.maxMs, RETRY_BACKOFF.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/** An error the worker wants retried after a delay it has already chosen (and checked against the deadline). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** BullMQ asks this for the delay before the next attempt. */
export const chatBackoffStrategy: BackoffStrategy = (attemptsMade, _type, err) =>
  err instanceof RetryLaterError ? err.retryDelayMs : retryDelayMs(attemptsMade);

/**
 * A killed worker's job is re-run once its lock has expired (`lockDuration`, renewed every
 * half of it) and a stalled-job check has seen it (`stalledInterval`): within about 4–6 s
 * instead of BullMQ's default 30 s+. Shorter values re-run jobs sooner but cost more Redis
 * traffic, and a worker whose event loop is blocked for longer than about half the lock
 * loses its job to another worker, which then calls the upstream a second time. A job that
 * stalls twice fails, so a call that crashes workers cannot take the whole fleet down.
 */
export const CHAT_WORKER_TIMINGS: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> = {
  lockDuration: 4_000,
  stalledInterval: 2_000,
  maxStalledCount: 1,
};
