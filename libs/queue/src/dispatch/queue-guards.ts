import type { Queue } from 'bullmq';
import { SwitchyardError, dependencyUnavailable } from '@app/contracts';
import type { QueueTarget } from './queue-target';

// How long a "some worker is listening" answer is trusted before Redis is asked again.
const PRESENCE_TTL_MS = 2_000;
/** How long a queue's depth, as read from Redis, stands (plus the calls this gateway admitted since) before it is read again. */
export const DEPTH_TTL_MS = 100;

/** A queue's depth as last read, and the calls this gateway admitted to it since. */
interface DepthReading {
  depth: number;
  readAt: number;
  admittedSince: number;
}
/** `Retry-After` of a `queue_full` answer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 2_000;

/**
 * What a call must pass before it is queued: some worker consumes the queue (no call waits for
 * nobody), and the queue is not deeper than its limit (backpressure instead of waiting forever).
 * Neither costs a Redis call per request: the depth is read at most every {@link DEPTH_TTL_MS} per
 * queue (concurrent checks share one read), counting in between the calls this gateway admitted.
 */
export class QueueGuards {
  private readonly workersSeenAt = new Map<string, number>();
  private readonly depths = new Map<string, DepthReading>();
  private readonly reading = new Map<string, Promise<DepthReading>>();

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

  /**
   * Calls admitted together may pass the limit by their number, and so may those other gateways
   * admitted within the last {@link DEPTH_TTL_MS}. A call is refused only on a depth read for it:
   * the cached one also counts the calls admitted since, which may have left the queue already.
   */
  private async assertRoom(queue: Queue, target: QueueTarget): Promise<void> {
    if (!target.maxDepth) return;
    const checkedAt = this.now();
    let reading: DepthReading;
    try {
      reading = await this.depthOf(queue, target.queue);
      // A refusal never rests on a cached reading: calls admitted since may already have left the queue.
      if (reading.depth + reading.admittedSince >= target.maxDepth && reading.readAt < checkedAt) {
        if (this.depths.get(target.queue) === reading) this.depths.delete(target.queue);
        reading = await this.depthOf(queue, target.queue);
      }
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    const depth = reading.depth + reading.admittedSince;
    if (depth >= target.maxDepth) {
      throw new SwitchyardError(
        'queue_full',
        `the ${target.queue} queue already holds ${depth} calls waiting for a worker (limit ${target.maxDepth}); retry shortly`,
        {
          retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
        },
      );
    }
    reading.admittedSince++;
  }

  /** The queue's depth as last read, if recent enough, else read afresh (once for all checks waiting for it). */
  private async depthOf(queue: Queue, name: string): Promise<DepthReading> {
    const last = this.depths.get(name);
    if (last && this.now() - last.readAt < DEPTH_TTL_MS) return last;
    let pending = this.reading.get(name);
    if (!pending) {
      pending = queue
        .getJobCounts('wait', 'prioritized', 'delayed', 'paused')
        .then((counts) => {
          const reading = { depth: Object.values(counts).reduce((sum, n) => sum + n, 0), readAt: this.now(), admittedSince: 0 };
          this.depths.set(name, reading);
          return reading;
        })
        .finally(() => this.reading.delete(name));
      this.reading.set(name, pending);
    }
    return pending;
  }
}
