import { Inject, Injectable } from '@nestjs/common';
import { SwitchyardError, asSwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import type { RequestFacts } from '../http/request-facts';
import { type Admission, KeyLimits } from '../limits/key-limits.service';
import { ModelCatalog } from '../models/model-catalog.service';
import { type Attempt, Router } from '../routing/router.service';
import { BudgetResets } from '../spend/budget-resets.service';
import { CallLedger, NOT_ADMITTED } from './call-ledger.service';
import { type CallIds, type CallOperation, type ModelCall, jobPriority, timeoutMs } from './model-call';

/**
 * A call's way in: is the model there, may this key use it, can any of its deployments take the
 * request; then the router's plan and the key's limits.
 */
@Injectable()
export class CallPlanner {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly catalog: ModelCatalog,
    private readonly router: Router,
    private readonly limits: KeyLimits,
    private readonly budgets: BudgetResets,
    private readonly ledger: CallLedger,
  ) {}

  /**
   * An authorised call for a validated request. Throws the 4xx a client should see; changes
   * nothing but `facts`, which learns the model once it is known to be a configured one.
   */
  open<TRequest extends { model: string }>(
    auth: AuthContext,
    operation: CallOperation<TRequest>,
    request: TRequest,
    ids: CallIds,
    facts: RequestFacts,
    options: { api: string; stream: boolean; priority?: number },
  ): ModelCall<TRequest> {
    const models = this.catalog.models;
    const deployments = models.resolve(request.model)?.deployments ?? [];
    if (deployments.length === 0) {
      const visible = models.modelNames().filter((m) => mayUseModel(auth, m, models));
      throw new SwitchyardError('model_not_found', `model "${request.model}" does not exist; available: ${visible.join(', ') || 'none'}`, { param: 'model' });
    }
    facts.model = request.model;
    facts.stream = options.stream;
    if (!mayUseModel(auth, request.model, models)) {
      const allowed = auth.kind === 'virtual' ? auth.key.models.join(', ') : '';
      throw new SwitchyardError('model_not_allowed', `this key may not use model "${request.model}"; it may use: ${allowed}`, { param: 'model' });
    }
    // A call none of the model's deployments can take (e.g. `n: 2` for Ollama) is refused before it takes any slot.
    const refusals = deployments.map((d) => operation.refusal(d, request));
    const [refusal] = refusals;
    if (refusal && refusals.every(Boolean)) throw refusal;
    return {
      auth,
      api: options.api,
      operation,
      request,
      ...ids,
      stream: options.stream,
      priority: jobPriority(auth, options.priority),
      startedAt: Date.now(),
      facts,
    };
  }

  /** The router's plan and the key's limits; throws 429 when one is reached. The admission's headers go on the answer. */
  async admit(call: ModelCall<{ model: string }>): Promise<Admission> {
    try {
      call.attempts = this.plan(call);
    } catch (err) {
      const error = asSwitchyardError(err);
      this.ledger.failed(call, NOT_ADMITTED, error);
      throw error;
    }
    const defaultMs = this.config.env.REQUEST_TIMEOUT * 1000;
    const plan = call.attempts.map((attempt) => attempt.deployment);
    return this.limits.admit({
      key: call.auth.kind === 'virtual' ? await this.budgets.resetIfDue(call.auth.key) : null,
      requestId: call.callId,
      // The slot is held until the last possible attempt would have ended.
      deadline: Date.now() + call.attempts.reduce((total, attempt) => total + timeoutMs(call.stream, attempt.deployment, defaultMs, call.hints), 0),
      reserve: () => call.operation.reserve(plan, call.request),
    });
  }

  /** Only model groups the key may use, and deployments that can take the call. */
  private plan<TRequest extends { model: string }>(call: ModelCall<TRequest>): Attempt[] {
    return this.router.plan(
      call.request.model,
      (group) => mayUseModel(call.auth, group, this.catalog.models),
      (deployment) => !call.operation.refusal(deployment, call.request),
    );
  }
}
