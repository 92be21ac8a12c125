import { Logger } from '@nestjs/common';
import { DelayedError, type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type IORedis from 'ioredis';
import {
  CHAT_JOB_VERSION,
  QUEUE_BY_PROVIDER,
  type ChatJobPayload,
  type ChatJobResult,
  type CompletionUsage,
  type Provider,
  SwitchyardError,
  decodeWireError,
  encodeWireError,
  internalFailure,
} from '@app/contracts';
import type { Deployment, DeploymentResolver } from '@app/config';
import type { JobOutcome, QueueJobCounts, WorkerMetrics } from '@app/observability';
import { CHAT_QUEUE_OPTIONS, CHAT_WORKER_TIMINGS, RetryLaterError, chatBackoffStrategy, retryDelayMs } from '../chat-job.options';
import { type Admission, DeploymentLimiter, type HeldSlot } from '../limits/deployment-limiter';
import { chunkChars, estimateTokens, estimatedUsage } from '../limits/token-estimate';
import { QueueEventsTrimmer } from '../queue-events.trimmer';
import { readJobCounts } from '../queue-job-counts';
import { closeRedis, createRedisConnection } from '../redis-connection.factory';
import { streamKeys } from '../stream/stream-keys';
import { StreamWriter } from '../stream/stream-writer';
import type { ChatJobContext, ChatJobProcessor } from './chat-job.processor';
import { type PreparedCall, prepareCall } from './prepared-call';

export interface ChatWorkerHostOptions {
  provider: Provider;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  deployments: DeploymentResolver;
  processor: ChatJobProcessor;
  metrics: WorkerMetrics;
}

/** How long an upstream 429 without `Retry-After` pauses its deployment. */
export const DEFAULT_UPSTREAM_PAUSE_MS = 1_000;

/**
 * A job parked because its deployment has `max_parallel_requests` calls in flight is woken
 * when one of them ends; in case that wake-up is lost (its worker died, the job was being
 * looked at), it also looks again after half the time it has waited, within these bounds.
 */
export const PARKED_RECHECK = { minMs: 500, maxMs: 5_000 } as const;

/** The abort reason of calls cut off because the worker is stopping (not the client's cancel, not the deadline). */
class WorkerStopping extends Error {
  constructor() {
    super('the worker is stopping');
    this.name = 'WorkerStopping';
  }
}
const STOPPING = new WorkerStopping();

/**
 * Consumes one provider's queue: checks each job's version and deadline, resolves the
 * deployment from this process's own config (secrets never travel through Redis), waits
 * for the deployment's limits, runs the provider call — relaying a stream's chunks to its
 * Redis Stream — and encodes failures so the gateway can render them. Gateways' cancel
 * notices abort the call they name.
 */
export class ChatWorkerHost {
  private readonly logger = new Logger(ChatWorkerHost.name);
  private readonly worker: Worker<ChatJobPayload, ChatJobResult>;
  /** For waking parked jobs. */
  private readonly queue: Queue<ChatJobPayload, ChatJobResult>;
  private readonly limiter: DeploymentLimiter;
  private readonly trimmer: QueueEventsTrimmer;
  private readonly connection: IORedis;
  private readonly subscriber: IORedis;
  private readonly running = new Map<string, AbortController>();
  private stopping = false;
  /** Set while Redis is unreachable, so an outage is logged once, not at every reconnection attempt. */
  private redisLost = false;

  constructor(private readonly options: ChatWorkerHostOptions) {
    this.connection = createRedisConnection(options.redisUrl, 'blocking', `switchyard:worker-${options.provider}`);
    this.subscriber = createRedisConnection(options.redisUrl, 'blocking', `switchyard:worker-${options.provider}-cancel`);
    this.worker = new Worker<ChatJobPayload, ChatJobResult>(QUEUE_BY_PROVIDER[options.provider], (job, token) => this.process(job, token), {
      connection: this.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      autorun: false,
      settings: { backoffStrategy: chatBackoffStrategy },
      ...CHAT_WORKER_TIMINGS,
    });
    this.queue = new Queue<ChatJobPayload, ChatJobResult>(this.worker.name, { connection: this.connection, prefix: options.prefix, ...CHAT_QUEUE_OPTIONS });
    this.trimmer = new QueueEventsTrimmer(this.connection, [this.queue.keys.events]);
    this.limiter = new DeploymentLimiter(this.connection, options.prefix);
    this.worker.on('error', (err) => {
      if (this.connection.status === 'ready') {
        this.logger.error(`queue: ${err.message}`);
      } else if (!this.redisLost) {
        this.redisLost = true;
        this.logger.error(`lost the Redis connection (${err.message}); reconnecting`);
      }
    });
    this.connection.on('ready', () => {
      if (!this.redisLost) return;
      this.redisLost = false;
      this.logger.log('Redis connection back; consuming again');
    });
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
    this.trimmer.start();
    this.logger.log(`consuming ${this.worker.name} with concurrency ${this.options.concurrency}`);
  }

  isRunning(): boolean {
    return this.worker.isRunning();
  }

  /** From the start of {@link close}: no new jobs are taken. */
  isStopping(): boolean {
    return this.stopping;
  }

  /** This worker's queue by job state, for the metrics scrape. */
  async jobCounts(): Promise<QueueJobCounts[]> {
    return [await readJobCounts(this.queue)];
  }

  /** For readiness: fails at once while the connection is down (a PING would wait for the reconnection). */
  async ping(): Promise<void> {
    if (this.connection.status !== 'ready') throw new Error(`Redis connection ${this.connection.status}`);
    await this.connection.ping();
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
    await this.worker.close();
    clearTimeout(cutOff);
    this.trimmer.stop();
    this.limiter.close();
    await this.queue.close();
    await Promise.all([this.subscriber, this.connection].map(closeRedis));
  }

  private returnJobsInHand(): void {
    if (this.running.size === 0) return;
    this.logger.warn(`grace period over: returning ${this.running.size} jobs in hand to the queue`);
    for (const cancel of this.running.values()) cancel.abort(STOPPING);
  }

  private async process(job: Job<ChatJobPayload, ChatJobResult>, token?: string): Promise<ChatJobResult> {
    const payload = job.data;
    const cancel = new AbortController();
    this.running.set(payload.callId, cancel);
    const { metrics } = this.options;
    metrics.jobStarted();
    // Only the first time a worker takes the job: later turns follow a retry, a limit or a stopping worker.
    if (job.attemptsStarted <= 1) metrics.queued(payload.modelName, ((job.processedOn ?? Date.now()) - payload.enqueuedAt) / 1000);
    let outcome: JobOutcome = 'failed';
    try {
      if (payload.v !== CHAT_JOB_VERSION) {
        throw new SwitchyardError('internal_error', `job version ${String(payload.v)} is not supported by this worker (expects ${CHAT_JOB_VERSION}); upgrade the workers`);
      }
      const remainingMs = payload.deadline - Date.now();
      if (remainingMs <= 0) {
        throw new SwitchyardError('timeout', 'the request deadline passed before a worker could take it');
      }
      const deployment = this.options.deployments.resolve(payload.deploymentId, payload.deployment, payload.modelName);
      const prepared = prepareCall(this.options.processor, deployment, payload, (err) =>
        this.logger.warn(`job ${payload.callId}: could not turn the request into a ${this.options.provider} request: ${(err as Error)?.stack ?? String(err)}`),
      );
      const context: ChatJobContext = {
        callId: payload.callId,
        deadline: payload.deadline,
        signal: AbortSignal.any([AbortSignal.timeout(remainingMs), cancel.signal]),
      };
      const result = await this.callWithinLimits(job, token, deployment, prepared, context, cancel.signal);
      outcome = result.cancelled ? 'cancelled' : 'completed';
      return result;
    } catch (err) {
      // The job went back to wait for its deployment; it did not fail and spent no attempt.
      if (err instanceof DelayedError) {
        outcome = 'postponed';
        throw err;
      }
      if (cancel.signal.reason === STOPPING && !(err instanceof UnrecoverableError)) {
        outcome = 'returned';
        throw await this.returnToQueue(job, token);
      }
      const failure = this.failure(job, err);
      if (failure instanceof RetryLaterError) {
        outcome = 'retried';
        metrics.retry(payload.modelName);
      }
      throw failure;
    } finally {
      this.running.delete(payload.callId);
      metrics.jobEnded(payload.modelName, outcome);
      this.logger.debug({
        msg: `job ${outcome}`,
        reqId: payload.callId,
        model: payload.modelName,
        provider: this.options.provider,
        deployment: payload.deploymentId,
        outcome,
        attempt: job.attemptsMade + 1,
        stream: payload.stream,
      });
    }
  }

  /**
   * Puts a job this stopping worker cut off back on the queue, as it was: no attempt spent,
   * its priority kept. Should that fail (Redis away), its lock expires and another worker
   * re-runs it as a stalled job.
   */
  private async returnToQueue(job: Job<ChatJobPayload>, token: string | undefined): Promise<WaitingError> {
    try {
      await job.moveToWait(token);
    } catch (err) {
      this.logger.warn(`job ${job.id}: could not return it to the queue (${(err as Error).message}); it will be re-run once its lock expires`);
    }
    return new WaitingError();
  }

  /**
   * Makes the call once the deployment's limits allow it. A job that has to wait is moved
   * back to the delayed set (freeing this worker's slot) until its deployment can take it;
   * one that could only start after its deadline fails now with 429 and `Retry-After`.
   */
  private async callWithinLimits(
    job: Job<ChatJobPayload>,
    token: string | undefined,
    deployment: Deployment,
    prepared: PreparedCall,
    context: ChatJobContext,
    cancelled: AbortSignal,
  ): Promise<ChatJobResult> {
    const payload = job.data;
    const admission = await this.limiter.acquire({
      deploymentId: deployment.id,
      limits: deployment,
      jobId: payload.callId,
      estimate: prepared.estimate,
      deadline: payload.deadline,
    });
    if (admission.kind !== 'admitted') return this.postpone(job, token, admission);

    const { metrics } = this.options;
    const model = payload.modelName;
    let usedTokens: number | undefined;
    const started = Date.now();
    try {
      let result: ChatJobResult;
      if (payload.stream) {
        result = await this.relayStream(job, prepared.call, context, cancelled);
      } else {
        const completion = await this.options.processor.complete(prepared.call, context);
        result = { v: CHAT_JOB_VERSION, completion, usage: completion.usage, upstreamLatencyMs: Date.now() - started };
      }
      metrics.upstreamCall(model, 'success', (Date.now() - started) / 1000);
      usedTokens = result.usage?.total_tokens;
      return result;
    } catch (err) {
      // A stream that broke off mid-answer carries what it used.
      if (err instanceof UnrecoverableError) usedTokens = decodeWireError(err.message)?.usage?.total_tokens;
      metrics.upstreamCall(model, 'error', (Date.now() - started) / 1000);
      if (err instanceof SwitchyardError && err.status === 429) metrics.upstreamRateLimited(model);
      // The upstream refused the request itself: it generated nothing, so no tokens count against the deployment.
      if (err instanceof SwitchyardError && err.fault === 'caller') usedTokens = 0;
      if (err instanceof SwitchyardError && err.code === 'rate_limit_exceeded' && err.retryable) {
        // The upstream's own limit: pause this deployment only, and wait without spending an attempt.
        const until = await this.limiter.pause(deployment.id, Date.now() + (err.retryAfterMs ?? DEFAULT_UPSTREAM_PAUSE_MS));
        return await this.postpone(job, token, { kind: 'paused', until }, err);
      }
      throw err;
    } finally {
      // Before the job completes, so the next call already sees the slot free and the usage counted.
      await this.release(admission.slot, usedTokens);
    }
  }

  /** Moves the job back to the delayed set until its deployment can take it, or fails it when that is past its deadline. */
  private async postpone(job: Job<ChatJobPayload>, token: string | undefined, admission: Exclude<Admission, { kind: 'admitted' }>, upstream?: SwitchyardError): Promise<never> {
    const { deadline, modelName, enqueuedAt } = job.data;
    const now = Date.now();
    let at: number;
    if (admission.kind === 'too_large') {
      throw new SwitchyardError('tokens_over_limit', `this call needs about ${estimateTokens(job.data.request)} tokens, more than the tpm limit (${admission.tpm}) of model "${modelName}"`);
    } else if (admission.kind === 'busy') {
      const waited = now - enqueuedAt;
      const recheck = Math.min(PARKED_RECHECK.maxMs, Math.max(PARKED_RECHECK.minMs, waited / 2)) * (0.8 + Math.random() * 0.4);
      at = Math.min(deadline, now + Math.round(recheck));
    } else {
      if (admission.until >= deadline) {
        const retryAfterMs = admission.until - now;
        const message =
          upstream?.message ??
          (admission.kind === 'limited'
            ? `model "${modelName}" is at its ${admission.limit} limit; it can take this call in ${Math.ceil(retryAfterMs / 1000)} s, after the call's deadline`
            : `model "${modelName}" is paused after its upstream answered 429; it can take this call in ${Math.ceil(retryAfterMs / 1000)} s, after the call's deadline`);
        throw new SwitchyardError('rate_limit_exceeded', message, { retryAfterMs });
      }
      // A little spread, so the calls that waited do not all arrive in the same millisecond.
      const spread = Math.random() * Math.min(1_000, (admission.until - now) * 0.2);
      at = Math.min(admission.until + Math.round(spread), deadline - 1);
    }
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  }

  /** Frees the slot and wakes a job parked for it. */
  private async release(slot: HeldSlot, usedTokens: number | undefined): Promise<void> {
    try {
      let parked = await this.limiter.release(slot, usedTokens);
      // A parked job that is not in the delayed set right now (it is being looked at, or is gone) cannot be woken; try the next.
      for (let tries = 0; parked && tries < 3; tries++) {
        const job = await this.queue.getJob(parked);
        if (await job?.promote().then(() => true, () => false)) return;
        parked = await this.limiter.nextParked(slot.deploymentId);
      }
    } catch (err) {
      // The lease expires by itself; parked jobs look again on their own.
      this.logger.warn(`could not free a slot of deployment ${slot.deploymentId}: ${(err as Error).message}`);
    }
  }

  /**
   * Writes the call's chunks to its Redis Stream as they arrive, then `end` with usage. A
   * failure before the first chunk may be retried; after it, the client already has part of
   * the answer, so the failure is written to the stream and the job ends for good.
   */
  private async relayStream(job: Job<ChatJobPayload>, call: unknown, context: ChatJobContext, cancelled: AbortSignal): Promise<ChatJobResult> {
    const { prefix } = this.options;
    const payload = job.data;
    const writer = new StreamWriter(this.connection, streamKeys.events(prefix, this.worker.name, payload.callId));
    const [[, wasCancelled], [, earlier]] = (await this.connection
      .multi()
      .exists(streamKeys.cancelled(prefix, this.worker.name, payload.callId))
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
    let generatedChars = 0;
    try {
      for await (const chunk of this.options.processor.stream(call, context)) {
        if (chunk.choices.length === 0 && chunk.usage) {
          usage = chunk.usage;
          continue;
        }
        generatedChars += chunkChars(chunk);
        if (writer.eventsWritten === 0) this.options.metrics.firstChunk(payload.modelName, (Date.now() - started) / 1000);
        await writer.write({ t: 'chunk', chunk });
      }
      await writer.write({ t: 'end', usage });
      return done(usage);
    } catch (err) {
      const stopping = cancelled.reason === STOPPING;
      // The upstream reports usage at the end: what a client that left did receive is estimated, so it is still billed.
      if (cancelled.aborted && !stopping) {
        await writer.discard().catch(() => undefined);
        return done(usage ?? estimatedUsage(payload.request, generatedChars), { cancelled: true });
      }
      // Nothing sent yet: the call can start over elsewhere (a stopping worker puts it back).
      if (writer.eventsWritten === 0) throw err;
      const error = stopping
        ? new SwitchyardError('upstream_error', 'the worker serving this stream stopped mid-answer; send the request again')
        : err instanceof SwitchyardError
          ? err
          : internalFailure('internal_error', 'the worker failed while streaming the answer', err);
      this.logDetail(job, error);
      // Part of the answer went out before the deadline, a stopping worker or the upstream cut it: billed like a cancelled one.
      const wire = { ...error.toWire(), usage: usage ?? estimatedUsage(payload.request, generatedChars) };
      await writer.write({ t: 'error', error: wire }).catch(() => undefined);
      throw new UnrecoverableError(encodeWireError(wire));
    }
  }

  /** The address and driver words of a failure stay here: the client's error carries neither. */
  private logDetail(job: Job<ChatJobPayload>, error: SwitchyardError): void {
    if (error.detail) this.logger.warn(`job ${job.id}: ${error.message}: ${error.detail}`);
  }

  /**
   * Retryable failures are retried by BullMQ, after a backoff, while attempts remain and the
   * retry can start before the deadline; everything else ends the job now.
   */
  private failure(job: Job<ChatJobPayload>, err: unknown): Error {
    if (err instanceof UnrecoverableError) return err;
    const error =
      err instanceof SwitchyardError ? err : new SwitchyardError('internal_error', 'the worker failed while handling the call');
    if (!(err instanceof SwitchyardError)) this.logger.error(`job ${job.id}: ${(err as Error)?.stack ?? String(err)}`);
    this.logDetail(job, error);
    const encoded = encodeWireError(error.toWire());
    const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
    if (!error.retryable || attemptsLeft <= 0) return new UnrecoverableError(encoded);
    const delay = retryDelayMs(job.attemptsMade + 1, error.retryAfterMs);
    // A retry that could only start after the deadline would turn this answer into a 504.
    if (Date.now() + delay >= job.data.deadline) return new UnrecoverableError(encoded);
    return new RetryLaterError(encoded, delay);
  }
}
