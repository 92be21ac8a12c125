import type { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { readJobCounts } from './queue-job-counts';

/** How many of a queue's latest waits are kept for the percentiles, and for how long after the last one. */
export const QUEUE_WAIT_SAMPLES = 200;
const QUEUE_WAIT_TTL_MS = 3_600_000;

/** The list of a queue's latest waits (ms from enqueue to a worker taking the job), newest first. */
export function queueWaitsKey(prefix: string, queue: string): string {
  return `${prefix}:queue-waits:${queue}`;
}

/**
 * The BullMQ worker name a worker process consumes a queue under: its app and its concurrency on
 * that queue. BullMQ puts it in the name of the worker's Redis connection, where
 * `Queue.getWorkers` (CLIENT LIST) finds it: nothing to expire when a worker dies.
 */
export function workerName(app: string, concurrency: number): string {
  return `${app};concurrency=${concurrency}`;
}

/** A worker's app and concurrency from its connection name (`…:w:<workerName>`); null concurrency when it does not say. */
export function parseWorkerName(rawName: string): { name: string; concurrency: number | null } {
  const name = rawName.includes(':w:') ? rawName.slice(rawName.lastIndexOf(':w:') + 3) : '';
  const match = /^(.*);concurrency=(\d+)$/.exec(name);
  return match ? { name: match[1], concurrency: Number(match[2]) } : { name: name || 'unnamed', concurrency: null };
}

/** How often a worker writes the waits it has seen: `GET /queue/status` shows a wait at most this late. */
export const QUEUE_WAIT_FLUSH_MS = 250;

/**
 * Records how long jobs waited for a worker: one bounded list per queue, newest first. The waits
 * seen within {@link QUEUE_WAIT_FLUSH_MS} go in one round trip, not one per job.
 */
export class QueueWaitRecorder {
  private readonly pending = new Map<string, number[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
  ) {}

  record(queue: string, waitMs: number): void {
    let waits = this.pending.get(queue);
    if (!waits) this.pending.set(queue, (waits = []));
    waits.push(Math.max(0, Math.round(waitMs)));
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), QUEUE_WAIT_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is pending; never throws (a lost batch of waits only thins the percentiles). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const multi = this.redis.multi();
    for (const [queue, waits] of this.pending) {
      const key = queueWaitsKey(this.prefix, queue);
      multi
        .lpush(key, ...waits.slice(-QUEUE_WAIT_SAMPLES))
        .ltrim(key, 0, QUEUE_WAIT_SAMPLES - 1)
        .pexpire(key, QUEUE_WAIT_TTL_MS);
    }
    this.pending.clear();
    await multi.exec().catch(() => undefined);
  }
}

/** The value below which `p` of the sorted `values` fall (nearest rank); null without values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

export interface QueueStatus {
  queue: string;
  waiting: number;
  /** Jobs a worker holds: the calls in flight. */
  active: number;
  delayed: number;
  /** Over the latest {@link QUEUE_WAIT_SAMPLES} jobs taken (ms from enqueue to a worker taking it). */
  wait_ms: { samples: number; p50: number | null; p90: number | null; p99: number | null };
  /** Null when Redis does not tell (CLIENT LIST refused, as on some managed Redis). */
  workers: Array<{ name: string; concurrency: number | null }> | null;
  /** The sum of the workers' concurrency: how many calls the queue can have in flight. */
  total_concurrency: number | null;
}

/** One queue's live status: depth by state, waits, and the workers consuming it. */
export async function readQueueStatus(queue: Queue, redis: IORedis, prefix: string): Promise<QueueStatus> {
  const [counts, waits, clients] = await Promise.all([
    readJobCounts(queue),
    redis.lrange(queueWaitsKey(prefix, queue.name), 0, QUEUE_WAIT_SAMPLES - 1),
    queue.getWorkers().catch(() => null),
  ]);
  const sorted = waits.map(Number).sort((a, b) => a - b);
  const known = clients !== null && clients.every((c) => typeof c.rawname === 'string');
  const workers = known ? clients.map((c) => parseWorkerName(c.rawname)) : null;
  return {
    queue: queue.name,
    waiting: counts.waiting,
    active: counts.active,
    delayed: counts.delayed,
    wait_ms: { samples: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) },
    workers,
    total_concurrency: workers ? workers.reduce((sum, w) => sum + (w.concurrency ?? 0), 0) : null,
  };
}
