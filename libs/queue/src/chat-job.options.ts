import type { JobsOptions, WorkerOptions } from 'bullmq';

/**
 * Attempts, backoff and retention of chat jobs, in one place.
 *
 * Finished jobs are removed at once: the answer travels in the queue's event stream, and
 * a request id may be reused by a later call once the earlier one has finished.
 */
export const DEFAULT_NUM_RETRIES = 2;

export function chatJobOptions(requestId: string, numRetries = DEFAULT_NUM_RETRIES): JobsOptions {
  return {
    jobId: requestId,
    attempts: numRetries + 1,
    backoff: { type: 'exponential', delay: 250, jitter: 0.5 },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * A killed worker's job is detected as stalled after its lock expires (`lockDuration`) at the
 * next stalled check (`stalledInterval`), so within about 15 s instead of BullMQ's default 30 s+.
 * Shorter values re-run jobs sooner but cost more Redis traffic and risk false stalls when a
 * worker's event loop is blocked for longer than the lock.
 */
export const CHAT_WORKER_TIMINGS: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 1,
};
