import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CHAT_JOB_VERSION,
  type ChatCompletion,
  type ChatCompletionRequest,
  type ChatJobPayload,
  type ChatJobResult,
  type ChatStreamEvent,
  SwitchyardError,
  asSwitchyardError,
} from '@app/contracts';
import { type Deployment, GatewayConfig, deploymentRefusal } from '@app/config';
import { ChatDispatcher, type ChatJobOptions, type ChatStreamHandle, PRIORITY } from '@app/queue';
import { GatewayMetrics } from '@app/observability';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { parseBody } from '../http/parse-body';
import type { RequestFacts } from '../http/request-facts';
import { GatewayDrain } from '../lifecycle/gateway-drain.service';
import { reserveCall } from '../limits/call-reservation';
import { type Admission, KeyLimits } from '../limits/key-limits.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { refusedBeforeUpstream, worthAnotherDeployment } from '../routing/failure-policy';
import { type Attempt, Router } from '../routing/router.service';
import { BudgetResets } from '../spend/budget-resets.service';
import { type CallOutcome, SpendService } from '../spend/spend.service';
import { chatRequestSchema } from './chat-request.schema';
import { StreamDelivery } from './stream-delivery';

/** A validated, authorised call. */
export interface ChatCall {
  auth: AuthContext;
  request: ChatCompletionRequest;
  /** The `x-request-id` the client sees: spend logs and request logs carry it. */
  requestId: string;
  /** Unique per call: the job id (fallback attempts add `.f<n>`) and the per-key slot. */
  callId: string;
  /** The router's plan, made at admission: deployments to try in order. */
  attempts?: Attempt[];
  stream: boolean;
  /** Queue priority for traffic that may wait (lower runs sooner); unset for ordinary calls. */
  priority: number | undefined;
  startedAt: number;
  /** What the request's log line will say about the call; filled in as it goes. */
  facts: RequestFacts;
}

/** Which deployment answered, and after how many fallbacks: the answer's x-switchyard-* headers. */
export interface Served {
  attempt: Attempt;
  attempted: number;
}

export function servedHeaders(served: Served): Record<string, string> {
  return {
    'x-switchyard-model-id': served.attempt.deployment.id,
    'x-switchyard-model-group': served.attempt.modelGroup,
    'x-switchyard-attempts': String(served.attempted),
  };
}

/** How long a stream's settlement waits, once its job has ended, for the relay to finish counting what it delivered. */
const DELIVERY_WAIT_MS = 10_000;

/** For a call refused before the key's limits were consulted. */
const NOT_ADMITTED: Admission = { headers: {}, release: async () => undefined };

/**
 * One chat call from admission to spend: the key's limits, the router's plan (the group's
 * deployments, then its fallbacks), the queue, and the spend log once it has ended.
 */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(ChatDispatcher) private readonly dispatcher: ChatDispatcher,
    private readonly catalog: ModelCatalog,
    private readonly router: Router,
    private readonly limits: KeyLimits,
    private readonly spend: SpendService,
    private readonly budgets: BudgetResets,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    private readonly drain: GatewayDrain,
  ) {}

  /**
   * Validates and authorises one call. Throws the 4xx a client should see; changes nothing
   * but `facts`, which learns the model once it is known to be a configured one.
   */
  prepare(auth: AuthContext, body: unknown, ids: { requestId: string; callId: string }, facts: RequestFacts = {}): ChatCall {
    // `priority` and `metadata` are Switchyard's (and LiteLLM's), not the upstream's: they never leave the gateway.
    const { priority, metadata: _metadata, ...request } = parseBody(chatRequestSchema, body) as ChatCompletionRequest & { priority?: number; metadata?: unknown };
    const models = this.catalog.models;
    const deployments = models.group(request.model);
    if (deployments.length === 0) {
      const visible = models.modelNames().filter((m) => mayUseModel(auth, m));
      throw new SwitchyardError('model_not_found', `model "${request.model}" does not exist; available: ${visible.join(', ') || 'none'}`, { param: 'model' });
    }
    facts.model = request.model;
    facts.stream = request.stream === true;
    if (!mayUseModel(auth, request.model)) {
      const allowed = auth.kind === 'virtual' ? auth.key.models.join(', ') : '';
      throw new SwitchyardError('model_not_allowed', `this key may not use model "${request.model}"; it may use: ${allowed}`, { param: 'model' });
    }
    // A call none of the model's deployments can take (e.g. `n: 2` for Ollama) is refused before it takes any slot.
    const refusals = deployments.map((d) => deploymentRefusal(d, request));
    if (refusals.every(Boolean)) throw refusals[0];
    return { auth, request, ...ids, stream: request.stream === true, priority: jobPriority(auth, priority), startedAt: Date.now(), facts };
  }

  /** The key's limits; throws 429 when one is reached. The admission's headers go on the answer. */
  async admit(call: ChatCall): Promise<Admission> {
    try {
      call.attempts = this.plan(call);
    } catch (err) {
      const error = asSwitchyardError(err);
      this.failed(call, NOT_ADMITTED, error);
      throw error;
    }
    return this.limits.admit({
      key: call.auth.kind === 'virtual' ? await this.budgets.resetIfDue(call.auth.key) : null,
      requestId: call.callId,
      // The slot is held until the last possible attempt would have ended.
      deadline: Date.now() + call.attempts.reduce((total, attempt) => total + this.timeoutMs(call, attempt.deployment), 0),
      reservation: reserveCall(call.attempts.map((attempt) => attempt.deployment), call.request),
    });
  }

  /** Tries the plan in order until a deployment answers or an error is not the deployment's fault. */
  async complete(call: ChatCall, admission: Admission): Promise<{ completion: ChatCompletion; served: Served }> {
    let attempts: Attempt[] = [];
    let last: { attempt?: Attempt; error: SwitchyardError } | undefined;
    try {
      attempts = call.attempts ?? this.plan(call);
      for (const [index, attempt] of attempts.entries()) {
        if (index > 0) this.metrics.fallback(call.request.model);
        const done = this.router.begin(attempt.deployment.id);
        try {
          const result = await this.dispatcher.dispatch(attempt.deployment, this.payload(call, attempt, index), this.jobOptions(call, attempt));
          done();
          if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
          this.finish(call, admission, { servedBy: attempt, usage: result.completion.usage, status: 'success', httpStatus: 200 });
          return { completion: { ...result.completion, model: call.request.model }, served: { attempt, attempted: index + 1 } };
        } catch (err) {
          const error = asSwitchyardError(err);
          done(error);
          last = { attempt, error };
          if (!worthAnotherDeployment(error)) break;
        }
      }
    } catch (err) {
      last = { error: asSwitchyardError(err) };
    }
    const { attempt, error } = last!;
    this.failed(call, admission, error, attempt);
    throw error;
  }

  /**
   * Starts a streamed call. A failure before the first chunk may still fall back to the next
   * deployment; once a chunk is out, the client has part of an answer and the call is what it is.
   */
  async stream(call: ChatCall, admission: Admission, hungUp?: AbortSignal): Promise<{ handle: ChatStreamHandle; served: Served }> {
    let last: { attempt?: Attempt; error: SwitchyardError } | undefined;
    try {
      const attempts = call.attempts ?? this.plan(call);
      for (const [index, attempt] of attempts.entries()) {
        if (index > 0) this.metrics.fallback(call.request.model);
        const done = this.router.begin(attempt.deployment.id);
        let handle: ChatStreamHandle;
        let iterator: AsyncIterator<ChatStreamEvent>;
        let first: IteratorResult<ChatStreamEvent>;
        try {
          handle = await this.dispatcher.stream(attempt.deployment, this.payload(call, attempt, index), this.jobOptions(call, attempt));
          // A client that hangs up while the call waits for its first chunk cancels it, queued or running.
          const cancel = () => void handle.cancel();
          hungUp?.addEventListener('abort', cancel, { once: true });
          if (hungUp?.aborted) cancel();
          iterator = handle.events[Symbol.asyncIterator]();
          first = await iterator.next();
        } catch (err) {
          const error = asSwitchyardError(err);
          done(error);
          last = { attempt, error };
          if (!worthAnotherDeployment(error)) break;
          continue;
        }
        if (hungUp?.aborted) {
          await iterator.return?.(undefined);
          this.settle(call, admission, attempt, handle.result, done);
          throw new SwitchyardError('client_closed', 'the client closed the connection before the answer began');
        }
        if (!first.done && first.value.t === 'error') {
          // Failed before its first chunk: the client has seen nothing yet.
          const error = SwitchyardError.fromWire(first.value.error);
          await iterator.return?.(undefined);
          done(error);
          last = { attempt, error };
          if (worthAnotherDeployment(error)) continue;
          break;
        }
        const delivery = new StreamDelivery();
        this.settle(call, admission, attempt, handle.result, done, delivery);
        return { handle: { ...handle, events: delivery.relay(first, iterator) }, served: { attempt, attempted: index + 1 } };
      }
    } catch (err) {
      // Already recorded as cancelled once its job reports what it generated.
      if (err instanceof SwitchyardError && err.code === 'client_closed') throw err;
      last = { error: asSwitchyardError(err) };
    }
    const { attempt, error } = last!;
    this.failed(call, admission, error, attempt);
    throw error;
  }

  /** Records a stream once its job has ended. A stopping gateway waits for that: the outcome carries the usage the spend log needs. */
  private settle(call: ChatCall, admission: Admission, attempt: Attempt, result: Promise<ChatJobResult | SwitchyardError>, done: (e?: SwitchyardError) => void, delivery?: StreamDelivery): void {
    const settled = this.drain.hold();
    void this.settleStream(call, admission, attempt, result, done, delivery).finally(settled);
  }

  /**
   * Spend and limits of a stream, once its job has ended, with the usage it reported (a cancelled
   * or broken-off one: what it generated). Without that — cut off at this gateway's deadline, its
   * worker gone — with what the client was sent, estimated.
   */
  private async settleStream(call: ChatCall, admission: Admission, attempt: Attempt, result: Promise<ChatJobResult | SwitchyardError>, done: (e?: SwitchyardError) => void, delivery?: StreamDelivery) {
    const outcome = await result.catch((err: unknown) => asSwitchyardError(err));
    let usage = outcome.usage ?? null;
    if (!usage && delivery) {
      await delivery.stopped(DELIVERY_WAIT_MS);
      usage = delivery.usage(call.request);
    }
    if (outcome instanceof SwitchyardError) {
      // Failed mid-answer or cut off at its deadline: logged with its own status (e.g. 502, 504).
      done(outcome);
      this.finish(call, admission, { servedBy: attempt, usage, status: 'failure', httpStatus: outcome.status, errorCode: outcome.code });
      return;
    }
    done();
    this.finish(call, admission, { servedBy: attempt, usage, status: outcome.cancelled ? 'cancelled' : 'success', httpStatus: 200 });
  }

  /** A stream's first chunk is on its way to the client. */
  firstChunkSent(call: ChatCall): void {
    this.metrics.firstChunk(call.request.model, (Date.now() - call.startedAt) / 1000);
  }

  /** A call that ended in `error` before any answer: a refused one gives its key's request back. */
  private failed(call: ChatCall, admission: Admission, error: SwitchyardError, servedBy?: Attempt) {
    const outcome = { servedBy, usage: null, status: 'failure', httpStatus: error.status, errorCode: error.code } as const;
    this.finish(call, admission, outcome, refusedBeforeUpstream(error));
  }

  /** Logs the call and gives the key's slot back, counting its tokens and cost. Never throws. */
  private finish(call: ChatCall, admission: Admission, outcome: Pick<CallOutcome, 'usage' | 'status' | 'httpStatus' | 'errorCode'> & { servedBy?: Attempt }, refund = false) {
    try {
      const used = this.spend.record({ ...outcome, requestId: call.requestId, auth: call.auth, modelGroup: call.request.model, stream: call.stream, startedAt: call.startedAt });
      void admission.release({ ...used, refund });
      const provider = outcome.servedBy?.deployment.provider ?? '';
      const promptTokens = outcome.usage?.prompt_tokens ?? 0;
      const completionTokens = outcome.usage?.completion_tokens ?? 0;
      this.metrics.chatCall({ model: call.request.model, provider, outcome: outcome.status, promptTokens, completionTokens, cost: used.cost });
      Object.assign(call.facts, {
        provider: provider || undefined,
        deployment: outcome.servedBy?.deployment.id,
        ...(outcome.usage ? { promptTokens, completionTokens } : {}),
      });
    } catch (err) {
      this.logger.error(`could not record the spend of request ${call.requestId}: ${(err as Error).message}`);
    }
  }

  /** The job for one attempt. Fallback attempts get their own job id (`<request id>.f<n>`). */
  private payload(call: ChatCall, attempt: Attempt, index: number): ChatJobPayload {
    const enqueuedAt = Date.now();
    const { deployment } = attempt;
    return {
      v: CHAT_JOB_VERSION,
      callId: index === 0 ? call.callId : `${call.callId}.f${index}`,
      deploymentId: deployment.id,
      deployment: this.catalog.spec(deployment.id),
      modelName: call.request.model,
      request: call.request,
      stream: call.stream,
      deadline: enqueuedAt + this.timeoutMs(call, deployment),
      enqueuedAt,
    };
  }

  /** The router's plan for this call: only model groups the key may use, and deployments that can take the call. */
  private plan(call: ChatCall): Attempt[] {
    return this.router.plan(
      call.request.model,
      (group) => mayUseModel(call.auth, group),
      (deployment) => !deploymentRefusal(deployment, call.request),
    );
  }

  private jobOptions(call: ChatCall, attempt: Attempt): ChatJobOptions {
    return { numRetries: attempt.deployment.numRetries, priority: call.priority };
  }

  /** A stream's deadline is `stream_timeout` where set. */
  private timeoutMs(call: ChatCall, deployment: Deployment): number {
    return (call.stream ? (deployment.streamTimeoutMs ?? deployment.timeoutMs) : deployment.timeoutMs) ?? this.config.env.REQUEST_TIMEOUT * 1000;
  }
}

/**
 * Queue priority marks traffic that may wait behind ordinary calls: the key's
 * `metadata.priority`, and a request's `priority` only where it is no sooner than its key's,
 * so a client cannot jump ahead of what its key was given. Without either, the call is
 * ordinary and goes first. The master key's requests may ask for any priority.
 */
function jobPriority(auth: AuthContext, requested: number | undefined): number | undefined {
  if (auth.kind === 'master') return requested;
  const own = auth.key.metadata.priority;
  const keyPriority = Number.isInteger(own) && (own as number) >= 0 && (own as number) <= PRIORITY.max ? (own as number) : undefined;
  if (keyPriority === undefined) return requested;
  return Math.max(keyPriority, requested ?? keyPriority);
}
