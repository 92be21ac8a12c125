import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type IORedis from 'ioredis';
import { CHAT_JOB_VERSION, type ChatJobPayload, type ChatJobResult, type ChatStreamEvent, SwitchyardError, dependencyUnavailable } from '@app/contracts';
import type { QueueJobCounts } from '@app/observability';
import { type ChatJobOptions, RETENTION, chatJobOptions } from '../chat-job.options';
import { type DeploymentLoad, readDeploymentLoad } from '../limits/deployment-limiter';
import type { QueueStatus } from '../queue-status';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import { streamKeys } from '../stream/stream-keys';
import { GatewayQueues } from './gateway-queues';
import { Inbox } from './inbox';
import { QueueGuards } from './queue-guards';
import type { QueueTarget } from './queue-target';
import { ResultWaiters, type Waiter } from './result-waiters';
import { StreamSubscription } from './stream-subscription';

export interface CallDispatcherOptions {
  redisUrl: string;
  prefix: string;
  /** Queues to open at start (config.yaml's backends); others open on first use. */
  queues: string[];
}

/** A streamed call in progress: its events in order, ending with `end` or `error`, and a way to stop it. */
export interface StreamHandle {
  events: AsyncIterable<ChatStreamEvent>;
  /** The job's outcome (usage), once it has finished. */
  result: Promise<ChatJobResult | SwitchyardError>;
  /** The client went away: the job is removed if still queued, aborted if running. */
  cancel(): Promise<void>;
}

/**
 * The gateway's side of the queues: puts a call's job on its backend's queue and hands back its
 * outcome, or its stream of events. Every job names this process's inbox (`replyTo`), where its
 * worker sends both; one blocking read of the inbox serves every call of this process, and no
 * gateway hears of another's calls. No call adds a listener or polls.
 */
export class CallDispatcher {
  private readonly logger = new Logger(CallDispatcher.name);

  private constructor(
    private readonly prefix: string,
    private readonly connection: IORedis,
    private readonly streamConnection: IORedis,
    private readonly queues: GatewayQueues,
    private readonly waiters: ResultWaiters,
    private readonly guards: QueueGuards,
    private readonly inbox: Inbox,
  ) {}

  static async start(options: CallDispatcherOptions): Promise<CallDispatcher> {
    const connection = createRedisConnection(options.redisUrl, 'request-path', 'switchyard:gateway');
    const streamConnection = createRedisConnection(options.redisUrl, 'blocking', 'switchyard:gateway-streams');
    const waiters = new ResultWaiters();
    const queues = new GatewayQueues(options.prefix, connection);
    await Promise.all(options.queues.map((name) => queues.get(name)));
    const inbox = new Inbox(streamKeys.inbox(options.prefix, randomUUID()), streamConnection, connection, waiters);
    inbox.start();
    queues.start();
    return new CallDispatcher(options.prefix, connection, streamConnection, queues, waiters, new QueueGuards(), inbox);
  }

  /**
   * Queues a non-streamed call and resolves with its result, or rejects with a `SwitchyardError`:
   * the worker's error, 503 when no worker consumes the queue or Redis is down, 429 when the
   * queue is full, 504 at the deadline (a job still waiting then is removed, never sent).
   */
  async dispatch(target: QueueTarget, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<ChatJobResult> {
    await this.admit(target);
    return new Promise<ChatJobResult>((resolve, reject) => this.enqueue(target.queue, payload, options, { resolve, reject }, reject));
  }

  /**
   * Queues a streamed call. Its events arrive in this gateway's inbox; a failure of the job
   * (before or after the first chunk) or the deadline arrives as a final `error` event.
   */
  async stream(target: QueueTarget, payload: ChatJobPayload, options: ChatJobOptions = {}): Promise<StreamHandle> {
    await this.admit(target);
    const subscription = new StreamSubscription(() => this.inbox.unsubscribe(target.queue, payload.callId));
    const fail = (error: SwitchyardError) => {
      // The event carries no detail of a failure inside the system: the log keeps it.
      if (error.detail) this.logger.warn(`job ${payload.callId}: ${error.message}: ${error.detail}`);
      subscription.push([{ t: 'error', error: error.toWire() }]);
    };
    let settleResult!: (r: ChatJobResult | SwitchyardError) => void;
    const result = new Promise<ChatJobResult | SwitchyardError>((r) => (settleResult = r));
    this.inbox.subscribe(target.queue, payload.callId, (events) => subscription.push(events));
    // The waiter outlives the events: the job's outcome (its usage, also for a cancelled stream)
    // arrives after the last event, and until then the call still counts.
    const forget = this.enqueue(target.queue, payload, options, { resolve: (r) => settleResult(r), reject: (e) => (settleResult(e), fail(e)) }, (error) => {
      settleResult(error);
      fail(error);
      void this.cancel(target.queue, payload.callId);
    });
    return {
      events: subscription.events(),
      result,
      cancel: async () => {
        subscription.close();
        if (await this.cancel(target.queue, payload.callId)) {
          // Removed before a worker took it: no outcome will come.
          forget();
          settleResult({ v: CHAT_JOB_VERSION, cancelled: true, usage: null, upstreamLatencyMs: 0 });
        }
      },
    };
  }

  /** Removes a queued job, or tells the worker running it to stop. True when the job was still queued and is gone. */
  async cancel(queueName: string, callId: string): Promise<boolean> {
    const queue = await this.queues.get(queueName).catch(() => undefined);
    if (!queue) return false;
    const removed = await queue.remove(callId).catch(() => 0);
    await this.connection
      .multi()
      .set(streamKeys.cancelled(this.prefix, queueName, callId), '1', 'EX', RETENTION.cancelMarkerSeconds)
      .publish(streamKeys.cancelChannel(this.prefix), `${queueName}:${callId}`)
      .exec()
      .catch(() => undefined);
    return removed === 1;
  }

  /** Every open queue's jobs by state, for the metrics scrape. */
  jobCounts(): Promise<QueueJobCounts[]> {
    return this.queues.jobCounts();
  }

  /** Every open queue's live status (depth, waits, workers), for the admin's queue status. */
  queueStatus(): Promise<QueueStatus[]> {
    return this.queues.statuses();
  }

  /** A deployment's shared limiter state (calls in flight, 429 pause), as the workers keep it. */
  deploymentLoad(deploymentId: string): Promise<DeploymentLoad> {
    return readDeploymentLoad(this.connection, this.prefix, deploymentId);
  }

  /** Redis round trip used by readiness checks. */
  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    this.waiters.rejectAll(new SwitchyardError('service_unavailable', 'gateway is shutting down'));
    await this.inbox.close();
    await this.queues.close();
    await Promise.all([this.connection, this.streamConnection].map(closeRedis));
  }

  private async admit(target: QueueTarget) {
    let queue;
    try {
      queue = await this.queues.get(target.queue);
    } catch (err) {
      throw dependencyUnavailable('queue', err);
    }
    await this.guards.check(queue, target);
    return queue;
  }

  /**
   * Registers the waiter, arms the deadline and adds the job. `onDeadline` runs if the job has
   * not finished in time; a job still waiting then is removed so it never runs. Returns a
   * function that forgets the waiter and disarms the deadline.
   */
  private enqueue(queueName: string, payload: ChatJobPayload, options: ChatJobOptions, waiter: Waiter, onDeadline: (e: SwitchyardError) => void): () => void {
    const forget = this.waiters.wait(queueName, payload.callId, payload.deadline, waiter, () => {
      void this.queues
        .get(queueName)
        .then((q) => q.remove(payload.callId))
        .catch(() => undefined);
      const seconds = Math.round((payload.deadline - payload.enqueuedAt) / 1000);
      onDeadline(new SwitchyardError('timeout', `no answer from the ${queueName} backend within ${seconds} s`));
    });
    void this.queues
      .get(queueName)
      .then((queue) => queue.add(payload.operation ?? 'chat', { ...payload, replyTo: this.inbox.key }, chatJobOptions(payload.callId, options)))
      .catch((err: Error) => {
        forget();
        waiter.reject(dependencyUnavailable('queue', err));
      });
    return forget;
  }
}
