import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  QUEUE_BY_PROVIDER,
  type ChatJobPayload,
  type ChatJobResult,
  type CompletionUsage,
  type Provider,
  SwitchyardError,
  encodeWireError,
} from '@app/contracts';
import type { Deployment, DeploymentResolver } from '@app/config';
import { CHAT_WORKER_TIMINGS } from '../chat-job.options';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import { streamKeys } from '../stream/stream-keys';
import { StreamWriter } from '../stream/stream-writer';
import type { ChatJobContext, ChatJobProcessor } from './chat-job.processor';

export interface ChatWorkerHostOptions {
  provider: Provider;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  deployments: DeploymentResolver;
  processor: ChatJobProcessor;
}

/**
 * Consumes one provider's queue: checks each job's version and deadline, resolves the
 * deployment from this process's own config (secrets never travel through Redis), runs the
 * provider call — relaying a stream's chunks to its Redis Stream — and encodes failures so
 * the gateway can render them. Gateways' cancel notices abort the call they name.
 */
export class ChatWorkerHost {
  private readonly logger = new Logger(ChatWorkerHost.name);
  private readonly worker: Worker<ChatJobPayload, ChatJobResult>;
  private readonly connection: IORedis;
  private readonly subscriber: IORedis;
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly options: ChatWorkerHostOptions) {
    this.connection = createRedisConnection(options.redisUrl, 'blocking', `switchyard:worker-${options.provider}`);
    this.subscriber = createRedisConnection(options.redisUrl, 'blocking', `switchyard:worker-${options.provider}-cancel`);
    this.worker = new Worker<ChatJobPayload, ChatJobResult>(QUEUE_BY_PROVIDER[options.provider], (job) => this.process(job), {
      connection: this.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: false,
      ...CHAT_WORKER_TIMINGS,
    });
    this.worker.on('error', (err) => this.logger.error(`queue connection: ${err.message}`));
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const separator = message.indexOf(':');
      if (message.slice(0, separator) === this.worker.name) this.running.get(message.slice(separator + 1))?.abort();
    });
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(streamKeys.cancelChannel(this.options.prefix));
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
    await Promise.all([this.subscriber, this.connection].map(closeRedis));
  }

  private async process(job: Job<ChatJobPayload, ChatJobResult>): Promise<ChatJobResult> {
    const payload = job.data;
    const cancel = new AbortController();
    this.running.set(payload.requestId, cancel);
    try {
      if (payload.v !== CHAT_JOB_VERSION) {
        throw new SwitchyardError('internal_error', `job version ${String(payload.v)} is not supported by this worker (expects ${CHAT_JOB_VERSION}); upgrade the workers`);
      }
      const remainingMs = payload.deadline - Date.now();
      if (remainingMs <= 0) {
        throw new SwitchyardError('timeout', 'the request deadline passed before a worker could take it');
      }
      const deployment = this.options.deployments.resolve(payload.deploymentId, payload.deployment, payload.modelName);
      const context: ChatJobContext = {
        requestId: payload.requestId,
        deadline: payload.deadline,
        signal: AbortSignal.any([AbortSignal.timeout(remainingMs), cancel.signal]),
      };
      if (payload.stream) return await this.relayStream(job, deployment, context, cancel.signal);
      const started = Date.now();
      const completion = await this.options.processor.complete(deployment, payload.request, context);
      return { v: CHAT_JOB_VERSION, completion, usage: completion.usage, upstreamLatencyMs: Date.now() - started };
    } catch (err) {
      throw this.failure(job, err);
    } finally {
      this.running.delete(payload.requestId);
    }
  }

  /**
   * Writes the call's chunks to its Redis Stream as they arrive, then `end` with usage. A
   * failure before the first chunk may be retried; after it, the client already has part of
   * the answer, so the failure is written to the stream and the job ends for good.
   */
  private async relayStream(job: Job<ChatJobPayload>, deployment: Deployment, context: ChatJobContext, cancelled: AbortSignal): Promise<ChatJobResult> {
    const { prefix } = this.options;
    const payload = job.data;
    const writer = new StreamWriter(this.connection, streamKeys.events(prefix, this.worker.name, payload.requestId));
    const [[, wasCancelled], [, earlier]] = (await this.connection
      .multi()
      .exists(streamKeys.cancelled(prefix, this.worker.name, payload.requestId))
      .xlen(writer.key)
      .exec()) as [[null, number], [null, number]];
    const started = Date.now();
    const done = (usage: CompletionUsage | null, extra: Partial<ChatJobResult> = {}): ChatJobResult => ({
      v: CHAT_JOB_VERSION,
      usage,
      upstreamLatencyMs: Date.now() - started,
      ...extra,
    });
    if (wasCancelled) return done(null, { cancelled: true });
    if (earlier > 0) {
      // A previous attempt died mid-stream; starting over would repeat what the client already has.
      const error = new SwitchyardError('upstream_error', 'the worker serving this stream stopped mid-answer; send the request again');
      await writer.write({ t: 'error', error: error.toWire() });
      throw new UnrecoverableError(encodeWireError(error.toWire()));
    }

    let usage: CompletionUsage | null = null;
    try {
      for await (const chunk of this.options.processor.stream(deployment, payload.request, context)) {
        if (chunk.choices.length === 0 && chunk.usage) {
          usage = chunk.usage;
          continue;
        }
        await writer.write({ t: 'chunk', chunk });
      }
      await writer.write({ t: 'end', usage });
      return done(usage);
    } catch (err) {
      if (cancelled.aborted) return done(usage, { cancelled: true });
      if (writer.eventsWritten === 0) throw err;
      const error = err instanceof SwitchyardError ? err : new SwitchyardError('internal_error', 'the worker failed while streaming the answer');
      await writer.write({ t: 'error', error: error.toWire() }).catch(() => undefined);
      throw new UnrecoverableError(encodeWireError(error.toWire()));
    }
  }

  /** Retryable failures are retried by BullMQ while attempts and time remain; everything else ends the job now. */
  private failure(job: Job<ChatJobPayload>, err: unknown): Error {
    if (err instanceof UnrecoverableError) return err;
    const error =
      err instanceof SwitchyardError ? err : new SwitchyardError('internal_error', 'the worker failed while handling the call');
    if (!(err instanceof SwitchyardError)) this.logger.error(`job ${job.id}: ${(err as Error)?.stack ?? String(err)}`);
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    const timeLeft = job.data.deadline - Date.now();
    const encoded = encodeWireError(error.toWire());
    return error.retryable && attemptsLeft > 0 && timeLeft > 0 ? new Error(encoded) : new UnrecoverableError(encoded);
  }
}
