import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import type { QueueJobCounts } from '@app/observability';
import { CHAT_QUEUE_OPTIONS } from '../chat-job.options';
import { QueueEventsTrimmer } from '../queue-events.trimmer';
import { readJobCounts } from '../queue-job-counts';
import { type QueueStatus, readQueueStatus } from '../queue-status';

/** How long opening a queue may take before the call is refused. */
const OPEN_TIMEOUT_MS = 3_000;

interface OpenQueue {
  queue: Queue;
  ready: Promise<unknown>;
  /** `ready` has resolved: the queue is handed out at once, without a timeout armed per call. */
  opened: boolean;
}

/**
 * The backends' queues as this gateway uses them: a `Queue` to add jobs to. Outcomes do not come
 * through the queue (no `QueueEvents` listener): workers send them to this gateway's inbox.
 * Queues open on first use (a stored model may name a new backend) or up front for the backends
 * config.yaml names.
 */
export class GatewayQueues {
  private readonly open = new Map<string, OpenQueue>();
  private readonly trimmer: QueueEventsTrimmer;

  constructor(
    private readonly prefix: string,
    private readonly connection: IORedis,
  ) {
    this.trimmer = new QueueEventsTrimmer(connection, []);
  }

  start(): void {
    this.trimmer.start();
  }

  /**
   * The queue, opened. A queue that cannot be opened in time (Redis away) is tried afresh by the next call.
   */
  async get(name: string): Promise<Queue> {
    let entry = this.open.get(name);
    if (entry?.opened) return entry.queue;
    if (!entry) {
      entry = this.openQueue(name);
      this.open.set(name, entry);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`queue ${name} not ready within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS)),
    );
    try {
      await Promise.race([entry.ready, late]);
    } catch (err) {
      if (this.open.get(name) === entry) {
        this.open.delete(name);
        void entry.queue.close().catch(() => undefined);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return entry.queue;
  }

  names(): string[] {
    return [...this.open.keys()];
  }

  jobCounts(): Promise<QueueJobCounts[]> {
    return Promise.all([...this.open.values()].map((q) => readJobCounts(q.queue)));
  }

  statuses(): Promise<QueueStatus[]> {
    return Promise.all([...this.open.values()].map((q) => readQueueStatus(q.queue, this.connection, this.prefix)));
  }

  async close(): Promise<void> {
    this.trimmer.stop();
    await Promise.all([...this.open.values()].map((q) => q.queue.close()));
  }

  private openQueue(name: string): OpenQueue {
    const queue = new Queue(name, { connection: this.connection, prefix: this.prefix, ...CHAT_QUEUE_OPTIONS });
    this.trimmer.add(queue.keys.events);
    const entry: OpenQueue = { queue, ready: queue.waitUntilReady(), opened: false };
    entry.ready.then(
      () => (entry.opened = true),
      () => undefined,
    );
    return entry;
  }
}
