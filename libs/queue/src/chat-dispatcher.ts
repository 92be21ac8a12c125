import { Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import {
  QUEUE_BY_PROVIDER,
  type ChatJobPayload,
  type ChatJobResult,
  type Provider,
  SwitchyardError,
  decodeWireError,
} from '@app/contracts';
import { chatJobOptions } from './chat-job.options';
import { closeRedis, createRedisConnection } from './redis-connection.factory';

interface Waiter {
  resolve(result: ChatJobResult): void;
  reject(error: SwitchyardError): void;
}

export interface ChatDispatcherOptions {
  redisUrl: string;
  prefix: string;
  providers: Provider[];
}

// How long a "some worker is listening" answer is trusted before Redis is asked again.
const PRESENCE_TTL_MS = 2_000;

/**
 * The gateway's side of the queues: puts chat jobs on the provider's queue and waits for
 * their outcome. One `QueueEvents` listener per queue serves every request of this process;
 * waiters are looked up by job id, so no request adds a listener or polls.
 */
export class ChatDispatcher {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly workersSeenAt = new Map<Provider, number>();

  private constructor(
    private readonly connection: IORedis,
    private readonly queues: Map<Provider, Queue>,
    private readonly events: QueueEvents[],
    private readonly eventConnections: IORedis[],
  ) {}

  static async start(options: ChatDispatcherOptions): Promise<ChatDispatcher> {
    const connection = createRedisConnection(options.redisUrl, 'request-path', 'switchyard:gateway');
    const queues = new Map<Provider, Queue>();
    const events: QueueEvents[] = [];
    // BullMQ does not close connections it was given; close() does.
    const eventConnections: IORedis[] = [];
    for (const provider of options.providers) {
      const name = QUEUE_BY_PROVIDER[provider];
      queues.set(provider, new Queue(name, { connection, prefix: options.prefix }));
      const eventConnection = createRedisConnection(options.redisUrl, 'blocking', 'switchyard:gateway-events');
      eventConnections.push(eventConnection);
      events.push(new QueueEvents(name, { connection: eventConnection, prefix: options.prefix }));
    }
    const dispatcher = new ChatDispatcher(connection, queues, events, eventConnections);
    for (const listener of events) {
      const queueName = listener.name;
      listener.on('completed', ({ jobId, returnvalue }) =>
        dispatcher.settle(queueName, jobId, (w) => w.resolve(returnvalue as unknown as ChatJobResult)),
      );
      listener.on('failed', ({ jobId, failedReason }) =>
        dispatcher.settle(queueName, jobId, (w) => w.reject(failureToError(failedReason))),
      );
    }
    await Promise.all([...queues.values()].map((q) => q.waitUntilReady()));
    await Promise.all(events.map((e) => e.waitUntilReady()));
    return dispatcher;
  }

  /**
   * Enqueues a chat call and resolves with its result, or rejects with a `SwitchyardError`:
   * the worker's error, 503 when no worker serves the queue or Redis is down, 504 at the deadline.
   */
  async dispatch(provider: Provider, payload: ChatJobPayload, numRetries?: number): Promise<ChatJobResult> {
    const queue = this.queues.get(provider);
    if (!queue) throw new SwitchyardError('internal_error', `no queue for provider ${provider}`);
    await this.assertWorkersListening(provider, queue);

    const key = `${queue.name}:${payload.requestId}`;
    return new Promise<ChatJobResult>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.forget(key, waiter);
        // A job still waiting is removed so it never runs; one already running is cut off by
        // its worker at the same deadline.
        queue.remove(payload.requestId).catch(() => undefined);
        reject(new SwitchyardError('timeout', `no answer from the ${provider} backend within ${Math.round((payload.deadline - payload.enqueuedAt) / 1000)} s`));
      }, Math.max(0, payload.deadline - Date.now()));

      const set = this.waiters.get(key) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(key, set);

      queue.add('chat', payload, chatJobOptions(payload.requestId, numRetries)).catch((err: Error) => {
        this.forget(key, waiter);
        waiter.reject(new SwitchyardError('service_unavailable', `queue unavailable (Redis): ${err.message}`));
      });
    });
  }

  /** Redis round trip used by readiness checks. */
  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    for (const set of this.waiters.values()) {
      for (const w of set) w.reject(new SwitchyardError('service_unavailable', 'gateway is shutting down'));
    }
    this.waiters.clear();
    await Promise.all(this.events.map((e) => e.close()));
    await Promise.all(this.eventConnections.map(closeRedis));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await closeRedis(this.connection);
  }

  /**
   * Fails fast instead of queueing a call nobody will take. A positive answer is cached
   * briefly; a negative one is always re-checked, so a worker that just started is found.
   */
  private async assertWorkersListening(provider: Provider, queue: Queue): Promise<void> {
    const seenAt = this.workersSeenAt.get(provider) ?? 0;
    if (Date.now() - seenAt < PRESENCE_TTL_MS) return;
    let count: number;
    try {
      count = await queue.getWorkersCount();
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `queue unavailable (Redis): ${(err as Error).message}`);
    }
    if (count === 0) {
      throw new SwitchyardError(
        'no_worker_available',
        `no ${provider} worker is running: start worker-${provider} (queue ${queue.name})`,
      );
    }
    this.workersSeenAt.set(provider, Date.now());
  }

  private settle(queueName: string, jobId: string, action: (w: Waiter) => void): void {
    const key = `${queueName}:${jobId}`;
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const w of set) action(w);
  }

  private forget(key: string, waiter: Waiter): void {
    const set = this.waiters.get(key);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiters.delete(key);
  }
}

function failureToError(reason: string | undefined): SwitchyardError {
  const wire = decodeWireError(reason);
  if (wire) return SwitchyardError.fromWire(wire);
  // Not a worker-encoded error: BullMQ itself failed the job (e.g. stalled too often).
  return new SwitchyardError('upstream_error', `the worker could not complete the call: ${reason ?? 'unknown reason'}`);
}
