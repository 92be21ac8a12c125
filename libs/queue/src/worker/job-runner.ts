import { Logger } from '@nestjs/common';
import { DelayedError, type Job, type Queue, UnrecoverableError, WaitingError } from 'bullmq';
import { CHAT_JOB_VERSION, type ChatJobPayload, type ChatJobResult, type Operation, SwitchyardError, type Wire } from '@app/contracts';
import type { Deployment, DeploymentResolver } from '@app/config';
import type { JobOutcome, WorkerMetrics } from '@app/observability';
import type { ChatCallContext, OperationOf } from '@app/providers';
import { RetryLaterError } from '../chat-job.options';
import type { DeploymentGate, GatedJob } from './deployment-gate';
import { isUpstreamRateLimit, jobFailure, tokensUsedByFailure } from './failure-policy';
import { type JobOperation, jobOperation } from './job-operations';
import { type PreparedCall, prepareCall } from './prepared-call';
import { truncatedPrompt } from './prompt-truncation';
import { stoppedByWorker } from './running-jobs';
import type { StreamPublisher } from './stream-publisher';

/** What a runner needs: the deployments it may serve, the operations of its wire, and the shared parts of a turn. */
export interface JobRunnerParts {
  wire: Wire;
  deployments: Pick<DeploymentResolver, 'resolve'>;
  operations: { of<O extends Operation>(operation: O, provider: string): OperationOf[O] };
  gate: DeploymentGate;
  publisher: StreamPublisher;
  metrics: WorkerMetrics;
}

/** One turn of a worker with a job. */
export interface JobTurn {
  job: Job<ChatJobPayload, ChatJobResult>;
  /** This worker's lock on the job. */
  token: string | undefined;
  /** The backend's queue the job came from; parked jobs of its deployments wait there. */
  queue: Pick<Queue, 'name' | 'getJob'>;
  /** Aborted by the client's cancel, or by a stopping worker ({@link stoppedByWorker}). */
  cancel: AbortController;
}

/**
 * Runs one job from start to end: checks its version and deadline, resolves its deployment from
 * this process's own config (secrets never travel through Redis), turns the request into its
 * provider's, waits at the deployment gate, makes the call (a stream's chunks published as they
 * come) and hands failures to the failure policy. Counts and logs every turn.
 */
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);

  constructor(private readonly parts: JobRunnerParts) {}

  async run(turn: JobTurn): Promise<ChatJobResult> {
    const { job, queue, cancel } = turn;
    const payload = job.data;
    const { metrics } = this.parts;
    metrics.jobStarted(queue.name);
    // Only the first time a worker takes the job: later turns follow a retry, a limit or a stopping worker.
    if (job.attemptsStarted <= 1) metrics.queued(queue.name, payload.modelName, ((job.processedOn ?? Date.now()) - payload.enqueuedAt) / 1000);
    let outcome: JobOutcome = 'failed';
    const served: { provider?: string } = {};
    try {
      const result = await this.attempt(turn, served);
      outcome = result.cancelled ? 'cancelled' : 'completed';
      return job.attemptsMade > 0 ? { ...result, retries: job.attemptsMade } : result;
    } catch (err) {
      // The job went back to wait for its deployment; it did not fail and spent no attempt.
      if (err instanceof DelayedError) {
        outcome = 'postponed';
        throw err;
      }
      if (stoppedByWorker(cancel.signal) && !(err instanceof UnrecoverableError)) {
        outcome = 'returned';
        throw await this.returnToQueue(turn);
      }
      const failure = jobFailure(job, err, this.logger);
      if (failure instanceof RetryLaterError) {
        outcome = 'retried';
        metrics.retry(queue.name, payload.modelName);
      }
      throw failure;
    } finally {
      metrics.jobEnded(queue.name, payload.modelName, outcome);
      this.logger.debug({
        msg: `job ${outcome}`,
        callId: payload.callId,
        model: payload.modelName,
        provider: served.provider,
        queue: queue.name,
        deployment: payload.deploymentId,
        outcome,
        attempt: job.attemptsMade + 1,
        stream: payload.stream,
      });
    }
  }

  /** Everything before the upstream call: what the job is, whom it goes to, in the provider's form. */
  private async attempt(turn: JobTurn, served: { provider?: string }): Promise<ChatJobResult> {
    const payload = turn.job.data;
    // A job from a gateway of another version: typed as this version's, but it may not be.
    const version: unknown = payload.v;
    if (version !== CHAT_JOB_VERSION) {
      throw new SwitchyardError(
        'internal_error',
        `job version ${String(version)} is not supported by this worker (expects ${CHAT_JOB_VERSION}); upgrade the workers`,
      );
    }
    const remainingMs = payload.deadline - Date.now();
    if (remainingMs <= 0) throw new SwitchyardError('timeout', 'the request deadline passed before a worker could take it');
    const deployment = this.parts.deployments.resolve(payload.deploymentId, payload.deployment, payload.modelName, payload.upstreamModel);
    served.provider = deployment.provider;
    const operation = this.operationOf(payload.operation ?? 'chat', deployment.provider);
    if (payload.stream && !operation.stream) throw new SwitchyardError('invalid_request', `${payload.operation} calls are not streamed`, { param: 'stream' });
    const prepared = prepareCall(operation, deployment, payload, (err) =>
      this.logger.warn(`job ${payload.callId}: could not turn the request into a ${deployment.provider} request: ${(err as Error)?.stack ?? String(err)}`),
    );
    const context: ChatCallContext = {
      callId: payload.callId,
      deadline: payload.deadline,
      // The deadline needs no signal of its own: the upstream call is bounded by it (`callUpstream`).
      signal: turn.cancel.signal,
    };
    return this.callWithinLimits(turn, deployment, operation, prepared, context);
  }

  /** Makes the call once the deployment's gate lets it through, and frees the slot after. */
  private async callWithinLimits(
    turn: JobTurn,
    deployment: Deployment,
    operation: JobOperation,
    prepared: PreparedCall,
    context: ChatCallContext,
  ): Promise<ChatJobResult> {
    const { job, queue } = turn;
    const gated: GatedJob = { job, token: turn.token };
    const slot = await this.parts.gate.enter(gated, deployment, prepared.estimate);
    const { metrics, publisher } = this.parts;
    const model = job.data.modelName;
    let usedTokens: number | undefined;
    const started = Date.now();
    try {
      let result: ChatJobResult;
      const stream = operation.stream?.bind(operation);
      if (job.data.stream && stream) {
        result = await publisher.publish({
          job,
          queue: queue.name,
          chunks: () => stream(prepared.call, context),
          cancelled: turn.cancel.signal,
          abort: () => turn.cancel.abort(),
          onFirstChunk: (seconds) => metrics.firstChunk(queue.name, model, seconds),
        });
      } else {
        const answer = await operation.complete(prepared.call, context);
        // The operation's own answer (a chat or a text completion, embeddings): the gateway that asked for it reads it as such.
        result = { v: CHAT_JOB_VERSION, ...(answer as Pick<ChatJobResult, 'completion' | 'usage'>), upstreamLatencyMs: Date.now() - started };
      }
      metrics.upstreamCall(queue.name, model, 'success', (Date.now() - started) / 1000);
      usedTokens = result.usage?.total_tokens;
      this.noticeTruncation(job.data, queue.name, deployment, prepared.promptEstimate, result);
      return result;
    } catch (err) {
      usedTokens = tokensUsedByFailure(err);
      metrics.upstreamCall(queue.name, model, 'error', (Date.now() - started) / 1000);
      if (err instanceof SwitchyardError && err.status === 429) metrics.upstreamRateLimited(queue.name, model);
      if (isUpstreamRateLimit(err)) return await this.parts.gate.pauseFor(gated, deployment.id, err);
      throw err;
    } finally {
      // Before the job completes, so the next call already sees the slot free and the usage counted.
      await this.parts.gate.leave(slot, usedTokens, queue);
    }
  }

  /** The job's operation with the deployment's provider; one this worker does not know came from a newer gateway. */
  private operationOf(name: Operation, provider: string): JobOperation {
    const operation = jobOperation(name, (known) => this.parts.operations.of(known, provider));
    if (!operation) throw new SwitchyardError('internal_error', `worker-${this.parts.wire} does not serve ${String(name)} calls; upgrade the workers`);
    return operation;
  }

  /** Warns (and counts) when the upstream read far less of the prompt than was sent: it cut it to its context. */
  private noticeTruncation(payload: ChatJobPayload, queue: string, deployment: Deployment, promptEstimate: number, result: ChatJobResult): void {
    const truncated = truncatedPrompt(promptEstimate, result.usage);
    if (!truncated) return;
    this.parts.metrics.promptTruncated(queue, payload.modelName);
    this.logger.warn(
      `job ${payload.callId}: ${deployment.provider} read about ${truncated.read} of an estimated ${truncated.estimated} prompt tokens of model "${payload.modelName}": it cut the prompt to its context window; raise num_ctx on the deployment, or send less`,
    );
  }

  /**
   * Puts a job this stopping worker cut off back on the queue, as it was: no attempt spent,
   * its priority kept. Should that fail (Redis away), its lock expires and another worker
   * re-runs it as a stalled job.
   */
  private async returnToQueue({ job, token }: JobTurn): Promise<WaitingError> {
    try {
      await job.moveToWait(token);
    } catch (err) {
      this.logger.warn(`job ${job.id}: could not return it to the queue (${(err as Error).message}); it will be re-run once its lock expires`);
    }
    return new WaitingError();
  }
}
