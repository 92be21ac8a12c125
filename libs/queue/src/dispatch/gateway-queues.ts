import { Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import { type ChatJobResult, SwitchyardError, decodeWireError, internalFailure } from '@app/contracts';
import type { QueueJobCounts } from '@app/observability';
import { CHAT_QUEUE_OPTIONS } from '../chat-job.options';
import { QueueEventsTrimmer } from '../queue-events.trimmer';
import { readJobCounts } from '../queue-job-counts';
import { type QueueStatus, readQueueStatus } from '../queue-status';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import type { ResultWaiters } from './result-waiters';

/** How long opening a queue (its listener's connection) may take before the call is refused. */
const OPEN_TIMEOUT_MS = 3_000;

interface OpenQueue {
  queue: Queue;
  events: QueueEvents;
  ready: Promise<unknown>;
}

/**
 * The backends' queues as this gateway uses them: a `Queue` to add jobs to and ONE `QueueEvents`
 * listener per queue, whose completions and failures go to the waiters. Queues open on first use
 * (a stored model may name a new backend) or up front for the backends config.yaml names.
 */
export class GatewayQueues {
  private readonly open = new Map<string, OpenQueue>();
  private readonly blockingConnections: IORedis[] = [];
  private readonly trimmer: QueueEventsTrimmer;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly connection: IORedis,
    private readonly waiters: ResultWaiters,
  ) {
    this.trimmer = new QueueEventsTrimmer(connection, []);
  }

  start(): void {
    this.trimmer.start();
  }

  /**
   * The queue, opened and listened to; waits until its listener is ready so no completion is
   * missed. A queue that cannot be opened in time (Redis away) is tried afresh by the next call.
   */
  async get(name: string): Promise<Queue> {
    let entry = this.open.get(name);
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
        void entry.events.close().catch(() => undefined);
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
    await Promise.all([...this.open.values()].map((q) => q.events.close()));
    await Promise.all([...this.open.values()].map((q) => q.queue.close()));
    // BullMQ does not close connections it was given.
    await Promise.all(this.blockingConnections.map(closeRedis));
  }

  private openQueue(name: string): OpenQueue {
    const queue = new Queue(name, { connection: this.connection, prefix: this.prefix, ...CHAT_QUEUE_OPTIONS });
    const blocking = createRedisConnection(this.redisUrl, 'blocking', 'switchyard:gateway-events');
    this.blockingConnections.push(blocking);
    const events = new QueueEvents(name, { connection: blocking, prefix: this.prefix });
    events.on('completed', ({ jobId, returnvalue }, eventId) => {
      // Delivered: the answer it carries need not wait in Redis for the trimmer.
      if (this.waiters.settle(name, jobId, (w) => w.resolve(returnvalue as unknown as ChatJobResult))) {
        this.connection.xdel(events.keys.events, eventId).catch(() => undefined);
      }
    });
    events.on('failed', ({ jobId, failedReason }) => this.waiters.settle(name, jobId, (w) => w.reject(failureToError(failedReason))));
    this.trimmer.add(queue.keys.events);
    return { queue, events, ready: Promise.all([queue.waitUntilReady(), events.waitUntilReady()]) };
  }
}

function failureToError(reason: string | undefined): SwitchyardError {
  const wire = decodeWireError(reason);
  if (wire) return SwitchyardError.fromWire(wire);
  // Not a worker-encoded error: BullMQ itself failed the job (e.g. stalled too often).
  return internalFailure('upstream_error', 'the worker could not complete the call', reason ?? 'unknown reason');
}
