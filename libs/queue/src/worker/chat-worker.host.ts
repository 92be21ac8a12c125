import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  QUEUE_BY_PROVIDER,
  type ChatJobPayload,
  type ChatJobResult,
  type Provider,
  SwitchyardError,
  encodeWireError,
} from '@app/contracts';
import type { ModelRegistry } from '@app/config';
import { CHAT_WORKER_TIMINGS } from '../chat-job.options';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import type { ChatJobProcessor } from './chat-job.processor';

export interface ChatWorkerHostOptions {
  provider: Provider;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  models: ModelRegistry;
  processor: ChatJobProcessor;
}

/**
 * Consumes one provider's queue: checks each job's version and deadline, resolves the
 * deployment from this process's own config (secrets never travel through Redis), runs the
 * provider call and encodes failures so the gateway can render them.
 */
export class ChatWorkerHost {
  private readonly logger = new Logger(ChatWorkerHost.name);
  private readonly worker: Worker<ChatJobPayload, ChatJobResult>;
  private readonly connection: IORedis;

  constructor(private readonly options: ChatWorkerHostOptions) {
    this.connection = createRedisConnection(options.redisUrl, 'blocking', `switchyard:worker-${options.provider}`);
    this.worker = new Worker<ChatJobPayload, ChatJobResult>(QUEUE_BY_PROVIDER[options.provider], (job) => this.process(job), {
      connection: this.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: false,
      ...CHAT_WORKER_TIMINGS,
    });
    this.worker.on('error', (err) => this.logger.error(`queue connection: ${err.message}`));
  }

  async start(): Promise<void> {
    await this.worker.waitUntilReady();
    void this.worker.run().catch((err: Error) => this.logger.error(`worker stopped: ${err.message}`));
    this.logger.log(`consuming ${this.worker.name} with concurrency ${this.options.concurrency}`);
  }

  isRunning(): boolean {
    return this.worker.isRunning();
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  /** Stops taking jobs and waits for the ones in hand to finish. */
  async close(): Promise<void> {
    await this.worker.close();
    await closeRedis(this.connection);
  }

  private async process(job: Job<ChatJobPayload, ChatJobResult>): Promise<ChatJobResult> {
    const payload = job.data;
    try {
      if (payload.v !== CHAT_JOB_VERSION) {
        throw new SwitchyardError('internal_error', `job version ${String(payload.v)} is not supported by this worker (expects ${CHAT_JOB_VERSION}); upgrade the workers`);
      }
      const remainingMs = payload.deadline - Date.now();
      if (remainingMs <= 0) {
        throw new SwitchyardError('timeout', 'the request deadline passed before a worker could take it');
      }
      const deployment = this.options.models.deployment(payload.deploymentId);
      if (!deployment || deployment.provider !== this.options.provider) {
        throw new SwitchyardError(
          'service_unavailable',
          `deployment ${payload.deploymentId} of model "${payload.modelName}" is not in this worker's config.yaml; restart the workers after changing it`,
        );
      }
      const started = Date.now();
      const completion = await this.options.processor.complete(deployment, payload.request, {
        requestId: payload.requestId,
        deadline: payload.deadline,
        signal: AbortSignal.timeout(remainingMs),
      });
      return { v: CHAT_JOB_VERSION, completion, upstreamLatencyMs: Date.now() - started };
    } catch (err) {
      throw this.failure(job, err);
    }
  }

  /** Retryable failures are retried by BullMQ while attempts and time remain; everything else ends the job now. */
  private failure(job: Job<ChatJobPayload>, err: unknown): Error {
    const error =
      err instanceof SwitchyardError ? err : new SwitchyardError('internal_error', 'the worker failed while handling the call');
    if (!(err instanceof SwitchyardError)) this.logger.error(`job ${job.id}: ${(err as Error)?.stack ?? String(err)}`);
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    const timeLeft = job.data.deadline - Date.now();
    const encoded = encodeWireError(error.toWire());
    return error.retryable && attemptsLeft > 0 && timeLeft > 0 ? new Error(encoded) : new UnrecoverableError(encoded);
  }
}
