import { Logger } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  type ChatJobPayload,
  type ChatJobResult,
  type ChatStreamEvent,
  SwitchyardError,
  type Wire,
  decodeWireError,
  dependencyUnavailable,
  internalFailure,
  queueName,
} from '@app/contracts';
import { startWorkerHint } from '@app/config';
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
  /** Backends whose queues are opened at start; any other opens on its first call. */
  backends: string[];
  /** Calls a backend's queue may hold (waiting, prioritized or delayed) before new ones are refused; 0 or unset: no limit. */
  maxQueueDepth?: (backend: string) => number;
}

/** The queue a call rides, and the worker app that serves it (named when none is running). */
export interface QueueRoute {
  backend: string;
  wire: Wire;
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
 * The gateway's side of the queues: puts chat jobs on their backend's queue and waits for
 * their outcome. One `QueueEvents` listener per queue and one stream reader serve every
 * request of this process; waiters are looked up by job id, so no request adds a listener or polls.
 */
export class ChatDispatcher {
  private readonly logger = new Logger(ChatDispatcher.name);
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly workersSeenAt = new Map<string, number>();
  /** By backend; a queue opens (with its listener) on its first call. */
  private readonly queues = new Map<string, Promise<Queue>>();
  private readonly opened: Queue[] = [];
  private readonly events: QueueEvents[] = [];
  // BullMQ does not close connections it was given; close() does.
  private readonly ownConnections: IORedis[] = [];
  private readonly reader: StreamReader;
  private readonly trimmer: QueueEventsTrimmer;

  private constructor(
    private readonly options: ChatDispatcherOptions,
    private readonly connection: IORedis,
  ) {
    this.reader = new StreamReader(this.blocking('switchyard:gateway-streams'), connection);
    this.trimmer = new QueueEventsTrimmer(connection, []);
  }

  private get prefix(): string {
    return this.options.prefix;
  }

  static async start(options: ChatDispatcherOptions): Promise<ChatDispatcher> {
    const connection = createRedisConnection(options.redisUrl, 'request-path', 'switchyard:gateway');
    const dispatcher = new ChatDispatcher(options, connection);
    await Promise.all(options.backends.map((backend) => dispatcher.open(backend)));
    dispatcher.reader.start();
    dispatcher.trimmer.start();
    return dispatcher;
  }

  private blocking(name: string): IORedis {
    const c = createRedisConnection(this.options.redisUrl, 'blocking', name);
    this.ownConnections.push(c);
    return c;
  }

  /** The backend's queue, and one listener for its outcomes, opened once. */
  private open(backend: string): Promise<Queue> {
    const known = this.queues.get(backend);
    if (known) return known;
    const opening = this.openQueue(queueName(backend));
    this.queues.set(backend, opening);
    opening.catch(() => this.queues.delete(backend));
    return opening;
  }

  private async openQueue(name: string): Promise<Queue> {
    const queue = new Queue(name, { connection: this.connection, prefix: this.prefix, ...CHAT_QUEUE_OPTIONS });
    const listener = new QueueEvents(name, { connection: this.blocking('switchyard:gateway-events'), prefix: this.prefix });
    this.opened.push(queue);
    this.events.push(listener);
    listener.on('completed', ({ jobId, returnvalue }, eventId) => {
      // Delivered: the answer it carries need not wait in Redis for the trimmer.
      if (this.settle(name, jobId, (w) => w.resolve(returnvalue as unknown as ChatJobResult))) {
        this.connection.xdel(listener.keys.events, eventId).catch(() => undefined);
      }
    });
    listener.on('failed', ({ jobId, failedReason }) => this.settle(name, jobId, (w) => w.reject(failureToError(failedReason))));
    this.trimmer.watch(queue.keys.events);
    await queue.waitUntilReady();
    await listener.waitUntilReady();
    return queue;
  }

  /**
   * Enqueues a non-streaming call and resolves with its result, or rejects with a `SwitchyardError`:
   * the worker's error, 503 when no worker serves the queue or Redis is down, 429 when the
   * queue is full, 504 at the deadline.
   */
  async dispatch(route: QueueRoute, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<ChatJobResult> {
    const queue = await this.queueFor(route);
    return new Promise<ChatJobResult>((resolve, reject) => {
      this.enqueue(queue, payload, options, { resolve, reject }, reject);
    });
  }

  /**
   * Enqueues a streamed call. Its events are read from the call's Redis Stream; a failure of
   * the job (before or after the first chunk) or the deadline arrives as a final `error` event.
   */
  async stream(route: QueueRoute, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<ChatStreamHandle> {
    const queue = await this.queueFor(route);
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
        void this.cancel(route.backend, payload.callId);
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
        if (await this.cancel(route.backend, payload.callId)) {
          // Removed before a worker took it: no outcome will come.
          stop();
          settleResult({ v: CHAT_JOB_VERSION, cancelled: true, usage: null, upstreamLatencyMs: 0 });
        }
      },
    };
  }

  /** Removes a queued job, or tells the worker running it to stop. True when the job was still queued and is gone. */
  async cancel(backend: string, callId: string): Promise<boolean> {
    const queue = await this.queues.get(backend)?.catch(() => undefined);
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
    return Promise.all(this.opened.map(readJobCounts));
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
    await Promise.all(this.opened.map((q) => q.close()));
    await Promise.all([this.connection, ...this.ownConnections].map(closeRedis));
  }

  private async queueFor(route: QueueRoute): Promise<Queue> {
    let queue: Queue;
    try {
      queue = await this.open(route.backend);
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    await this.assertWorkersListening(route, queue);
    await this.assertRoomInQueue(route.backend, queue);
    return queue;
  }

  /**
   * Backpressure: a call that would wait behind more than the queue's limit is refused at once
   * with 429 and `Retry-After`. Calls admitted together may pass the limit by their number.
   */
  private async assertRoomInQueue(backend: string, queue: Queue): Promise<void> {
    const limit = this.options.maxQueueDepth?.(backend) ?? 0;
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
  private async assertWorkersListening(route: QueueRoute, queue: Queue): Promise<void> {
    const seenAt = this.workersSeenAt.get(route.backend) ?? 0;
    if (Date.now() - seenAt < PRESENCE_TTL_MS) return;
    let count: number;
    try {
      count = await queue.getWorkersCount();
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    if (count === 0) {
      throw new SwitchyardError('no_worker_available', `no worker consumes the ${queue.name} queue: ${startWorkerHint(route)}`);
    }
    this.workersSeenAt.set(route.backend, Date.now());
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
