import type { Queue } from 'bullmq';
import { SwitchyardError, dependencyUnavailable } from '@app/contracts';
import type { QueueTarget } from './queue-target';

// How long a "some worker is listening" answer is trusted before Redis is asked again.
const PRESENCE_TTL_MS = 2_000;
/** `Retry-After` of a `queue_full` answer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 2_000;

/**
 * What a call must pass before it is queued: some worker consumes the queue (no call waits for
 * nobody), and the queue is not deeper than its limit (backpressure instead of waiting forever).
 */
export class QueueGuards {
  private readonly workersSeenAt = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async check(queue: Queue, target: QueueTarget): Promise<void> {
    await this.assertWorkersListening(queue, target);
    await this.assertRoom(queue, target);
  }

  /** A positive answer is cached briefly; a negative one is always re-checked, so a worker that just started is found. */
  private async assertWorkersListening(queue: Queue, target: QueueTarget): Promise<void> {
    const seenAt = this.workersSeenAt.get(target.queue) ?? 0;
    if (this.now() - seenAt < PRESENCE_TTL_MS) return;
    let count: number;
    try {
      count = await queue.getWorkersCount();
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    if (count === 0) {
      throw new SwitchyardError('no_worker_available', `no worker consumes the ${target.queue} queue: ${target.startHint}`);
    }
    this.workersSeenAt.set(target.queue, this.now());
  }

  /** Calls admitted together may pass the limit by their number. */
  private async assertRoom(queue: Queue, target: QueueTarget): Promise<void> {
    if (!target.maxDepth) return;
    let counts: Record<string, number>;
    try {
      counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'paused');
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    const depth = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (depth >= target.maxDepth) {
      throw new SwitchyardError(
        'queue_full',
        `the ${target.queue} queue already holds ${depth} calls waiting for a worker (limit ${target.maxDepth}); retry shortly`,
        {
          retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
        },
      );
    }
  }
}
