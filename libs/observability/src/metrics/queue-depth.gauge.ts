import { Gauge, type Registry } from 'prom-client';

export interface QueueJobCounts {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
}

/** How long a scrape waits for Redis before leaving the queue gauges out. */
const READ_TIMEOUT_MS = 1_000;

/**
 * `switchyard_queue_jobs{queue,state}`, read from Redis when scraped (one round trip per
 * queue), not kept up to date per call. While Redis is unreachable the gauge has no samples.
 */
export function registerQueueDepthGauge(registry: Registry, read: () => Promise<QueueJobCounts[]>): void {
  new Gauge({
    name: 'switchyard_queue_jobs',
    help: 'Jobs in a backend queue by state (waiting includes prioritized), read from Redis at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      let timer: NodeJS.Timeout | undefined;
      const counts = await Promise.race([
        read().catch(() => undefined),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      for (const { queue, waiting, active, delayed } of counts ?? []) {
        this.set({ queue, state: 'waiting' }, waiting);
        this.set({ queue, state: 'active' }, active);
        this.set({ queue, state: 'delayed' }, delayed);
      }
    },
  });
}
