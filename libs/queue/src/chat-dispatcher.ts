import { Logger } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  QUEUE_BY_PROVIDER,
  type ChatJobPayload,
  type ChatJobResult,
  type ChatStreamEvent,
  type Provider,
  SwitchyardError,
  decodeWireError,
  dependencyUnavailable,
  internalFailure,
} from '@app/contracts';
import type { QueueJobCounts } from '@app/observability';
import { CHAT_QUEUE_OPTIONS, type ChatJobOptions, RETENTION, chatJobOptions } from './chat-job.options';
import { QueueEventsTrimmer } from './queue-events.trimmer';
import { readJobCounts } from './queue-job-counts';
import { closeRedis, createRedisConnection } from './redis-connection.factory';
import { streamKeys } from './stream/stream-keys';
import { StreamReader } from './stream/stream-reader';

interface Waiter {
  resolve(result: ChatJobResult): void;
  reject(error: SwitchyardError): void;
}

export interface ChatDispatcherOptions {
  redisUrl: string;
  prefix: string;
  providers: Provider[];
  /** Calls a provider's queue may hold (waiting, prioritized or delayed) before new ones are refused; 0 or unset: no limit. */
  maxQueueDepth?: (provider: Provider) => number;
}

/** A streamed call in progress: its events in order, ending with `end` or `error`, and a way to stop it. */
export interface ChatStreamHandle {
  events: AsyncIterable<ChatStreamEvent>;
  /** The job's outcome (usage), once it has finished. */
  result: Promise<ChatJobResult | SwitchyardError>;
  /** The client went away: the job is removed if still queued, aborted if running. */
  cancel(): Promise<void>;
}

// How long a "some worker is listening" answer is trusted before Redis is asked again.
const PRESENCE_TTL_MS = 2_000;
/** `Retry-After` of a `queue_full` answer. */
export const QUEUE_FULL_RETRY_AFTER_MS = 2_000;

/**
 * The gateway's side of the queues: puts chat jobs on the provider's queue and waits for
 * their outcome. One `QueueEvents` listener per queue and one stream reader serve every
 * request of this process; waiters are looked up by job id, so no request adds a listener or polls.
 */
export class ChatDispatcher {
  private readonly logger = new Logger(ChatDispatcher.name);
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly workersSeenAt = new Map<Provider, number>();

  private constructor(
    private readonly prefix: string,
    private readonly connection: IORedis,
    private readonly queues: Map<Provider, Queue>,
    private readonly events: QueueEvents[],
    private readonly ownConnections: IORedis[],
    private readonly reader: StreamReader,
    private readonly maxQueueDepth: (provider: Provider) => number,
    private readonly trimmer: QueueEventsTrimmer,
  ) {}

  static async start(options: ChatDispatcherOptions): Promise<ChatDispatcher> {
    const connection = createRedisConnection(options.redisUrl, 'request-path', 'switchyard:gateway');
    const queues = new Map<Provider, Queue>();
    const events: QueueEvents[] = [];
    // BullMQ does not close connections it was given; close() does.
    const ownConnections: IORedis[] = [];
    const blocking = (name: string) => {
      const c = createRedisConnection(options.redisUrl, 'blocking', name);
      ownConnections.push(c);
      return c;
    };
    for (const provider of options.providers) {
      const name = QUEUE_BY_PROVIDER[provider];
      queues.set(provider, new Queue(name, { connection, prefix: options.prefix, ...CHAT_QUEUE_OPTIONS }));
      events.push(new QueueEvents(name, { connection: blocking('switchyard:gateway-events'), prefix: options.prefix }));
    }
    const reader = new StreamReader(blocking('switchyard:gateway-streams'), connection);
    const trimmer = new QueueEventsTrimmer(connection, [...queues.values()].map((q) => q.keys.events));
    const dispatcher = new ChatDispatcher(options.prefix, connection, queues, events, ownConnections, reader, options.maxQueueDepth ?? (() => 0), trimmer);
    for (const listener of events) {
      const queueName = listener.name;
      listener.on('completed', ({ jobId, returnvalue }, eventId) => {
        // Delivered: the answer it carries need not wait in Redis for the trimmer.
        if (dispatcher.settle(queueName, jobId, (w) => w.resolve(returnvalue as unknown as ChatJobResult))) {
          connection.xdel(listener.keys.events, eventId).catch(() => undefined);
        }
      });
      listener.on('failed', ({ jobId, failedReason }) =>
        dispatcher.settle(queueName, jobId, (w) => w.reject(failureToError(failedReason))),
      );
    }
    await Promise.all([...queues.values()].map((q) => q.waitUntilReady()));
    await Promise.all(events.map((e) => e.waitUntilReady()));
    reader.start();
    trimmer.start();
    return dispatcher;
  }

  /**
   * Enqueues a non-streaming call and resolves with its result, or rejects with a `SwitchyardError`:
   * the worker's error, 503 when no worker serves the queue or Redis is down, 429 when the
   * queue is full, 504 at the deadline.
   */
  async dispatch(provider: Provider, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<ChatJobResult> {
    const queue = await this.queueFor(provider);
    return new Promise<ChatJobResult>((resolve, reject) => {
      this.enqueue(queue, payload, options, { resolve, reject }, reject);
    });
  }

  /**
   * Enqueues a streamed call. Its events are read from the call's Redis Stream; a failure of
   * the job (before or after the first chunk) or the deadline arrives as a final `error` event.
   */
  async stream(provider: Provider, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<ChatStreamHandle> {
    const queue = await this.queueFor(provider);
    const key = streamKeys.events(this.prefix, queue.name, payload.callId);
    const buffer: ChatStreamEvent[] = [];
    let notify: (() => void) | undefined;
    let finished = false;
    const push = (events: ChatStreamEvent[]) => {
      if (finished) return;
      buffer.push(...events);
      notify?.();
    };
    const fail = (error: SwitchyardError) => {
      // The event carries no detail of a failure inside the system: the log keeps it.
      if (error.detail) this.logger.warn(`job ${payload.callId}: ${error.message}: ${error.detail}`);
      push([{ t: 'error', error: error.toWire() }]);
    };

    let settleResult!: (r: ChatJobResult | SwitchyardError) => void;
    const result = new Promise<ChatJobResult | SwitchyardError>((r) => (settleResult = r));
    this.reader.subscribe(key, push);
    // The waiter outlives the events: the job's outcome (its usage, also for a cancelled stream)
    // arrives after the last event, and until then the call still counts.
    const stop = this.enqueue(
      queue,
      payload,
      options,
      { resolve: (r) => settleResult(r), reject: (e) => (settleResult(e), fail(e)) },
      (error) => {
        settleResult(error);
        fail(error);
        void this.cancel(provider, payload.callId);
      },
    );
    const finish = () => {
      if (finished) return;
      finished = true;
      notify?.();
      this.reader.unsubscribe(key);
      this.connection.del(key).catch(() => undefined);
    };

    async function* events(): AsyncGenerator<ChatStreamEvent> {
      try {
        for (;;) {
          while (buffer.length) {
            const event = buffer.shift()!;
            yield event;
            if (event.t !== 'chunk') return;
          }
          if (finished) return;
          await new Promise<void>((r) => (notify = r));
          notify = undefined;
        }
      } finally {
        finish();
      }
    }

    return {
      events: events(),
      result,
      cancel: async () => {
        finish();
        if (await this.cancel(provider, payload.callId)) {
          // Removed before a worker took it: no outcome will come.
          stop();
          settleResult({ v: CHAT_JOB_VERSION, cancelled: true, usage: null, upstreamLatencyMs: 0 });
        }
      },
    };
  }

  /** Removes a queued job, or tells the worker running it to stop. True when the job was still queued and is gone. */
  async cancel(provider: Provider, callId: string): Promise<boolean> {
    const queue = this.queues.get(provider);
    if (!queue) return false;
    const removed = await queue.remove(callId).catch(() => 0);
    await this.connection
      .multi()
      .set(streamKeys.cancelled(this.prefix, queue.name, callId), '1', 'EX', RETENTION.cancelMarkerSeconds)
      .publish(streamKeys.cancelChannel(this.prefix), `${queue.name}:${callId}`)
      .del(streamKeys.events(this.prefix, queue.name, callId))
      .exec()
      .catch(() => undefined);
    return removed === 1;
  }

  /** Every queue's jobs by state, for the metrics scrape. */
  jobCounts(): Promise<QueueJobCounts[]> {
    return Promise.all([...this.queues.values()].map(readJobCounts));
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
    this.trimmer.stop();
    await this.reader.close();
    await Promise.all(this.events.map((e) => e.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all([this.connection, ...this.ownConnections].map(closeRedis));
  }

  private async queueFor(provider: Provider): Promise<Queue> {
    const queue = this.queues.get(provider);
    if (!queue) throw new SwitchyardError('internal_error', `no queue for provider ${provider}`);
    await this.assertWorkersListening(provider, queue);
    await this.assertRoomInQueue(provider, queue);
    return queue;
  }

  /**
   * Backpressure: a call that would wait behind more than the queue's limit is refused at once
   * with 429 and `Retry-After`. Calls admitted together may pass the limit by their number.
   */
  private async assertRoomInQueue(provider: Provider, queue: Queue): Promise<void> {
    const limit = this.maxQueueDepth(provider);
    if (!limit) return;
    let counts: Record<string, number>;
    try {
      counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'paused');
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    const depth = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if (depth >= limit) {
      throw new SwitchyardError('queue_full', `the ${queue.name} queue already holds ${depth} calls waiting for a worker (limit ${limit}); retry shortly`, {
        retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
      });
    }
  }

  /**
   * Registers the waiter, arms the deadline and adds the job. `onDeadline` runs if the job has
   * not finished in time (a job still waiting is removed so it never runs). Returns a function
   * that forgets the waiter and disarms the deadline.
   */
  private enqueue(queue: Queue, payload: ChatJobPayload, options: ChatJobOptions, waiter: Waiter, onDeadline: (e: SwitchyardError) => void): () => void {
    const key = `${queue.name}:${payload.callId}`;
    const stop = () => {
      clearTimeout(timer);
      this.forget(key, own);
    };
    const own: Waiter = {
      resolve: (r) => (stop(), waiter.resolve(r)),
      reject: (e) => (stop(), waiter.reject(e)),
    };
    const timer = setTimeout(() => {
      stop();
      queue.remove(payload.callId).catch(() => undefined);
      const seconds = Math.round((payload.deadline - payload.enqueuedAt) / 1000);
      onDeadline(new SwitchyardError('timeout', `no answer from the ${queue.name} backend within ${seconds} s`));
    }, Math.max(0, payload.deadline - Date.now()));

    const set = this.waiters.get(key) ?? new Set<Waiter>();
    set.add(own);
    this.waiters.set(key, set);

    queue.add('chat', payload, chatJobOptions(payload.callId, options)).catch((err: Error) => {
      own.reject(dependencyUnavailable('queue', err));
    });
    return stop;
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
      throw dependencyUnavailable('queue', err);
    }
    if (count === 0) {
      throw new SwitchyardError('no_worker_available', `no ${provider} worker is running: start worker-${provider} (queue ${queue.name})`);
    }
    this.workersSeenAt.set(provider, Date.now());
  }

  /** True when this process was waiting for the job. */
  private settle(queueName: string, jobId: string, action: (w: Waiter) => void): boolean {
    const set = this.waiters.get(`${queueName}:${jobId}`);
    if (!set) return false;
    for (const w of [...set]) action(w);
    return true;
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
  return internalFailure('upstream_error', 'the worker could not complete the call', reason ?? 'unknown reason');
}
