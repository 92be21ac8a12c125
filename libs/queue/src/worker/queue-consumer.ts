import { Logger } from '@nestjs/common';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import type { ChatJobPayload, ChatJobResult } from '@app/contracts';
import type { WorkerQueue } from '@app/config';
import type { QueueJobCounts } from '@app/observability';
import { CHAT_QUEUE_OPTIONS, CHAT_WORKER_TIMINGS, chatBackoffStrategy } from '../chat-job.options';
import { QueueEventsTrimmer } from '../queue-events.trimmer';
import { readJobCounts } from '../queue-job-counts';
import { QueueWaitRecorder, workerName } from '../queue-status';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import { InboxWriter } from '../stream/inbox-writer';
import { streamKeys } from '../stream/stream-keys';
import type { JobTurn } from './job-runner';
import { traceJobTurn } from './job-trace';
import { RunningJobs } from './running-jobs';

export interface QueueConsumerOptions {
  /** Names its Redis connections: `worker-openai`. */
  name: string;
  redisUrl: string;
  prefix: string;
  /** Shared by the BullMQ workers (each adds its own blocking connection); the caller closes it after {@link QueueConsumer.close}. */
  connection: IORedis;
  /**
   * For the outcomes sent to gateways' inboxes and the queue waits: a connection without BullMQ's
   * scripts, on which a pipeline is cheap to build (ioredis copies every script of its connection
   * into each pipeline). The caller closes it after {@link QueueConsumer.close}.
   */
  replies: IORedis;
  queues: readonly WorkerQueue[];
  runner: { run(turn: JobTurn): Promise<ChatJobResult> };
}

/** One backend's queue as this process consumes it: BullMQ's worker with the backend's concurrency, and the queue itself. */
interface Lane {
  spec: WorkerQueue;
  worker: Worker<ChatJobPayload, ChatJobResult>;
  queue: Queue<ChatJobPayload, ChatJobResult>;
}

/**
 * Consumes the queues of a worker's backends, each with its own BullMQ worker and concurrency,
 * so a slow backend fills only its own slots. Hands every job to the runner; relays the
 * gateways' cancel notices to the job they name; on close stops taking jobs and puts back
 * what is still running after the grace period.
 */
export class QueueConsumer {
  private readonly logger = new Logger(QueueConsumer.name);
  private readonly lanes: Lane[];
  private readonly subscriber: IORedis;
  private readonly trimmer: QueueEventsTrimmer;
  private readonly running = new RunningJobs();
  private readonly waits: QueueWaitRecorder;
  private stopping = false;
  /** Set while Redis is unreachable, so an outage is logged once, not at every reconnection attempt. */
  private redisLost = false;

  constructor(private readonly options: QueueConsumerOptions) {
    const { connection, prefix } = options;
    this.subscriber = createRedisConnection(options.redisUrl, 'blocking', `switchyard:${options.name}-cancel`);
    this.waits = new QueueWaitRecorder(options.replies, prefix);
    this.lanes = options.queues.map((spec) => {
      const worker = new Worker<ChatJobPayload, ChatJobResult>(spec.queue, (job, token) => this.take(lane, job, token), {
        connection,
        prefix,
        concurrency: spec.concurrency,
        // Says this process's concurrency on the queue to the gateway's queue status (Queue.getWorkers).
        name: workerName(options.name, spec.concurrency),
        autorun: false,
        settings: { backoffStrategy: chatBackoffStrategy },
        ...CHAT_WORKER_TIMINGS,
      });
      // For waking parked jobs and the metrics scrape.
      const queue = new Queue<ChatJobPayload, ChatJobResult>(spec.queue, { connection, prefix, ...CHAT_QUEUE_OPTIONS });
      const lane: Lane = { spec, worker, queue };
      worker.on('error', (err) => this.onWorkerError(err));
      return lane;
    });
    this.trimmer = new QueueEventsTrimmer(
      connection,
      this.lanes.map((l) => l.queue.keys.events),
    );
    connection.on('ready', () => {
      if (!this.redisLost) return;
      this.redisLost = false;
      this.logger.log('Redis connection back; consuming again');
    });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, notice: string) => this.running.cancel(notice));
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(streamKeys.cancelChannel(this.options.prefix));
    for (const { worker } of this.lanes) {
      await worker.waitUntilReady();
      void worker.run().catch((err: Error) => this.logger.error(`worker of ${worker.name} stopped: ${err.message}`));
    }
    this.trimmer.start();
    this.logger.log(`consuming ${this.lanes.map((l) => `${l.spec.queue} (concurrency ${l.spec.concurrency})`).join(', ')}`);
  }

  /** Every queue is being consumed. */
  isRunning(): boolean {
    return this.lanes.every((l) => l.worker.isRunning());
  }

  /** From the start of {@link close}: no new jobs are taken. */
  isStopping(): boolean {
    return this.stopping;
  }

  /** Its queues by job state, for the metrics scrape. */
  jobCounts(): Promise<QueueJobCounts[]> {
    return Promise.all(this.lanes.map((l) => readJobCounts(l.queue)));
  }

  /** For readiness: fails at once while the connection is down (a PING would wait for the reconnection). */
  async ping(): Promise<void> {
    const { connection } = this.options;
    if (connection.status !== 'ready') throw new Error(`Redis connection ${connection.status}`);
    await connection.ping();
  }

  /**
   * Stops taking jobs and waits for the ones in hand to finish. Those still running after
   * `graceMs` are cut off and put back on the queue for another worker, unless they are streams
   * that already sent part of their answer: those end with an error the client sees.
   */
  async close(graceMs = Infinity): Promise<void> {
    this.stopping = true;
    if (this.running.size) this.logger.log(`stopping: finishing ${this.running.size} jobs in hand`);
    const cutOff = Number.isFinite(graceMs) ? setTimeout(() => this.returnJobsInHand(), graceMs) : undefined;
    await Promise.all(this.lanes.map((l) => l.worker.close()));
    clearTimeout(cutOff);
    this.trimmer.stop();
    await Promise.all(this.lanes.map((l) => l.queue.close()));
    await this.waits.flush();
    await closeRedis(this.subscriber);
  }

  private async take(lane: Lane, job: Job<ChatJobPayload, ChatJobResult>, token: string | undefined): Promise<ChatJobResult> {
    const cancel = this.running.begin(lane.spec.queue, job.data.callId);
    // The wait until the job's first take (a parked or retried job's later takes are not waits for a worker).
    if (job.attemptsStarted <= 1 && job.processedOn) {
      this.waits.record(lane.queue.name, job.processedOn - job.timestamp - (job.opts.delay ?? 0));
    }
    try {
      const result = await traceJobTurn(job, lane.queue.name, () => this.options.runner.run({ job, token, queue: lane.queue, cancel }));
      return await this.reply(job, lane.queue.name, (inbox) => inbox.finish(result), result);
    } catch (err) {
      // Only a failure for good is an outcome: a retried, postponed or returned job runs again.
      if (err instanceof UnrecoverableError) await this.reply(job, lane.queue.name, (inbox) => inbox.fail(err.message), undefined);
      throw err;
    } finally {
      this.running.end(lane.spec.queue, job.data.callId);
    }
  }

  /**
   * Sends the job's outcome to the inbox of the gateway waiting for it (`replyTo`), before the job
   * completes in BullMQ. The return value BullMQ keeps then leaves out the answer, which the
   * gateway has: no answer text waits in the queue's event stream. Should the write fail (Redis
   * away), the gateway ends the call at its deadline.
   */
  private async reply<T extends ChatJobResult | undefined>(
    job: Job<ChatJobPayload, ChatJobResult>,
    queue: string,
    send: (inbox: InboxWriter) => Promise<void>,
    result: T,
  ): Promise<T> {
    const { replyTo, callId } = job.data;
    if (!replyTo) return result;
    try {
      await send(new InboxWriter(this.options.replies, replyTo, queue, callId));
    } catch (err) {
      this.logger.warn(`job ${callId}: could not send its outcome to its gateway: ${(err as Error).message}`);
    }
    if (!result?.completion) return result;
    const { completion: _answer, ...rest } = result;
    return rest as T;
  }

  private returnJobsInHand(): void {
    if (this.running.size === 0) return;
    this.logger.warn(`grace period over: returning ${this.running.size} jobs in hand to the queue`);
    this.running.stopAll();
  }

  private onWorkerError(err: Error): void {
    if (this.options.connection.status === 'ready') {
      this.logger.error(`queue: ${err.message}`);
    } else if (!this.redisLost) {
      this.redisLost = true;
      this.logger.error(`lost the Redis connection (${err.message}); reconnecting`);
    }
  }
}
