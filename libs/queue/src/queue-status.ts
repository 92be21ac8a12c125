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

/** Records how long a job waited for a worker: one bounded list per queue, written in one round trip. */
export async function recordQueueWait(redis: IORedis, prefix: string, queue: string, waitMs: number): Promise<void> {
  const key = queueWaitsKey(prefix, queue);
  await redis
    .multi()
    .lpush(key, Math.max(0, Math.round(waitMs)))
    .ltrim(key, 0, QUEUE_WAIT_SAMPLES - 1)
    .pexpire(key, QUEUE_WAIT_TTL_MS)
    .exec();
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
