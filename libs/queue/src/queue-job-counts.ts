import type { Queue } from 'bullmq';
import type { QueueJobCounts } from '@app/observability';

/** A queue's jobs by state, for the metrics scrape: one Redis round trip. */
export async function readJobCounts(queue: Queue): Promise<QueueJobCounts> {
  const c = await queue.getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed');
  return { queue: queue.name, waiting: c.wait + c.prioritized + c.paused, active: c.active, delayed: c.delayed };
}
