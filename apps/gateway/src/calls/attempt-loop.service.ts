import { Inject, Injectable } from '@nestjs/common';
import { CHAT_JOB_VERSION, type ChatJobPayload, type ChatJobResult, type ChatStreamEvent, SwitchyardError, asSwitchyardError } from '@app/contracts';
import { GatewayConfig, deploymentRequest, isModelPattern } from '@app/config';
import { CallDispatcher, type ChatJobOptions } from '@app/queue';
import { GatewayMetrics, currentTraceCarrier } from '@app/observability';
import type { Admission } from '../limits/key-limits.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { worthAnotherDeployment } from '../routing/failure-policy';
import { type Attempt, Router } from '../routing/router.service';
import { CallLedger } from './call-ledger.service';
import { type ModelCall, type Served, timeoutMs } from './model-call';
import { queueTargetOf } from './queue-target';
import { StreamDelivery } from './stream-delivery';

/** What an attempt that succeeded knows of its answer for the headers: the worker's retries, cost, time in the upstream. */
interface Answered<T> {
  value: T;
  workerRetries?: number;
  cost?: number;
  upstreamMs?: number;
}

/** One attempt's way of reaching a deployment; `done` ends the attempt in the router's count (the attempt owns it once it succeeds). */
type AttemptFn<T> = (attempt: Attempt, index: number, done: (error?: SwitchyardError) => void) => Promise<Answered<T>>;

/**
 * THE fallback loop, for answers and streams alike: tries the call's plan in order — the model
 * group's deployments, then its fallbacks' — until one answers or a failure is not the
 * deployment's doing. A stream may fall back only before its first chunk.
 */
@Injectable()
export class AttemptLoop {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(CallDispatcher) private readonly dispatcher: CallDispatcher,
    private readonly catalog: ModelCatalog,
    private readonly router: Router,
    private readonly ledger: CallLedger,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {}

  /** A non-streamed call: its job's result, recorded. */
  async answer<TRequest extends { model: string }>(call: ModelCall<TRequest>, admission: Admission): Promise<{ result: ChatJobResult; served: Served }> {
    const { value: result, served } = await this.inTurn(call, admission, async (attempt, index, done) => {
      const result = await this.dispatcher.dispatch(
        queueTargetOf(this.config, attempt.deployment),
        this.payload(call, attempt, index),
        this.jobOptions(call, attempt),
      );
      done();
      const cost = this.ledger.succeeded(call, admission, attempt, result.usage ?? null);
      return { value: result, workerRetries: result.retries, cost, upstreamMs: result.upstreamLatencyMs };
    });
    return { result, served };
  }

  /**
   * A streamed call: its events from the first one on, counted as they are delivered. A client
   * that hangs up (`hungUp`) cancels the call, queued or running, before or after its first
   * chunk; the call is then recorded with what it generated.
   */
  async stream<TRequest extends { model: string }>(
    call: ModelCall<TRequest>,
    admission: Admission,
    hungUp: AbortSignal,
  ): Promise<{ events: AsyncIterable<ChatStreamEvent>; served: Served }> {
    const { value: events, served } = await this.inTurn(call, admission, async (attempt, index, done) => {
      const queuedAt = Date.now();
      const handle = await this.dispatcher.stream(
        queueTargetOf(this.config, attempt.deployment),
        this.payload(call, attempt, index),
        this.jobOptions(call, attempt),
      );
      const cancel = () => void handle.cancel();
      hungUp.addEventListener('abort', cancel, { once: true });
      if (hungUp.aborted) cancel();
      const iterator = handle.events[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (hungUp.aborted) {
        await iterator.return?.(undefined);
        this.ledger.settleStream(call, admission, attempt, handle.result, done);
        throw new SwitchyardError('client_closed', 'the client closed the connection before the answer began');
      }
      const failedFirst = first.done
        ? new SwitchyardError('upstream_error', 'the answer stream ended before its first chunk')
        : first.value.t === 'error'
          ? SwitchyardError.fromWire(first.value.error)
          : undefined;
      if (failedFirst) {
        // Failed before its first chunk: the client has seen nothing yet, another deployment may serve it.
        hungUp.removeEventListener('abort', cancel);
        await iterator.return?.(undefined);
        throw failedFirst;
      }
      const delivery = new StreamDelivery(() => this.ledger.firstChunk(call));
      this.ledger.settleStream(call, admission, attempt, handle.result, done, delivery);
      return { value: delivery.relay(first, iterator), upstreamMs: Date.now() - queuedAt };
    });
    return { events, served };
  }

  private async inTurn<TRequest extends { model: string }, T>(
    call: ModelCall<TRequest>,
    admission: Admission,
    attemptFn: AttemptFn<T>,
  ): Promise<{ value: T; served: Served }> {
    const attempts = call.attempts ?? [];
    // Built only when the loop ends without an answer (an error captures a stack).
    let last: { attempt?: Attempt; error: SwitchyardError } | undefined;
    for (const [index, attempt] of attempts.entries()) {
      if (index > 0) this.metrics.fallback(call.request.model);
      const done = this.router.begin(attempt.deployment.id);
      try {
        const answered = await attemptFn(attempt, index, done);
        return { value: answered.value, served: served(call, attempts.slice(0, index + 1), answered) };
      } catch (err) {
        const error = asSwitchyardError(err);
        done(error);
        // The client left: the attempt already arranged for the call to be recorded as cancelled.
        if (error.code === 'client_closed') throw error;
        last = { attempt, error };
        if (!worthAnotherDeployment(error)) break;
      }
    }
    last ??= { error: new SwitchyardError('internal_error', 'the call was not planned before it was sent') };
    this.ledger.failed(call, admission, last.error, last.attempt);
    // A failed call's answer still names the call and what was tried.
    const { retries, fallbacks } = tried(last.attempt ? attempts.slice(0, attempts.indexOf(last.attempt) + 1) : []);
    throw last.error.withHeaders({
      'x-litellm-call-id': call.requestId,
      'x-litellm-attempted-retries': String(retries),
      'x-litellm-attempted-fallbacks': String(fallbacks),
    });
  }

  /** The job for one attempt. Fallback attempts get their own job id (`<call id>.f<n>`). */
  private payload<TRequest extends { model: string }>(call: ModelCall<TRequest>, attempt: Attempt, index: number): ChatJobPayload {
    const enqueuedAt = Date.now();
    const { deployment } = attempt;
    return {
      v: CHAT_JOB_VERSION,
      callId: index === 0 ? call.callId : `${call.callId}.f${index}`,
      deploymentId: deployment.id,
      deployment: this.catalog.spec(deployment.id),
      modelName: call.request.model,
      operation: call.operation.name,
      // A wildcard deployment's upstream model for this name; the worker takes it for no other deployment.
      upstreamModel: isModelPattern(deployment.modelName) ? deployment.upstreamModel : undefined,
      request: deploymentRequest(deployment, call.operation.requestFor?.(deployment, call.request) ?? call.request) as unknown as ChatJobPayload['request'],
      stream: call.stream,
      deadline: enqueuedAt + timeoutMs(call.stream, deployment, this.config.env.REQUEST_TIMEOUT * 1000, call.hints),
      enqueuedAt,
      trace: currentTraceCarrier(),
    };
  }

  private jobOptions(call: ModelCall<{ model: string }>, attempt: Attempt): ChatJobOptions {
    return { numRetries: call.hints.numRetries ?? attempt.deployment.numRetries, priority: call.priority };
  }
}

/** LiteLLM's counts for the attempts made so far (the last one the latest): retries on its model group, fallback groups tried. */
function tried(made: readonly Attempt[], workerRetries = 0): { retries: number; fallbacks: number } {
  // Most calls are answered by their first attempt: nothing to count, no arrays or Set to build.
  if (made.length <= 1) return { retries: workerRetries, fallbacks: 0 };
  const last = made.at(-1);
  return {
    retries: made.slice(0, -1).filter((a) => a.modelGroup === last?.modelGroup).length + workerRetries,
    fallbacks: Math.max(0, new Set(made.map((a) => a.modelGroup)).size - 1),
  };
}

function served(call: ModelCall<{ model: string }>, made: readonly Attempt[], answered: Answered<unknown>): Served {
  return {
    requestId: call.requestId,
    attempt: made[made.length - 1],
    attempted: made.length,
    ...tried(made, answered.workerRetries),
    cost: answered.cost,
    overheadMs: Date.now() - call.startedAt - (answered.upstreamMs ?? 0),
  };
}
