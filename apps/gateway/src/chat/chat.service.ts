import { Inject, Injectable } from '@nestjs/common';
import { CHAT_JOB_VERSION, type ChatCompletion, type ChatCompletionRequest, type ChatJobPayload, SwitchyardError } from '@app/contracts';
import { type Deployment, GatewayConfig } from '@app/config';
import { ModelCatalog } from '../models/model-catalog.service';
import { ChatDispatcher, type ChatStreamHandle } from '@app/queue';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { parseBody } from '../http/parse-body';
import { chatRequestSchema } from './chat-request.schema';

/** A validated, authorised, routed call, ready to enqueue. */
export interface PreparedCall {
  request: ChatCompletionRequest;
  deployment: Deployment;
  payload: ChatJobPayload;
}

@Injectable()
export class ChatService {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(ChatDispatcher) private readonly dispatcher: ChatDispatcher,
    private readonly catalog: ModelCatalog,
  ) {}

  /** Validates, authorises and routes one call. Throws the 4xx a client should see; changes nothing. */
  prepare(auth: AuthContext, body: unknown, requestId: string): PreparedCall {
    const request = parseBody(chatRequestSchema, body) as ChatCompletionRequest;
    const deployment = this.route(auth, request.model);
    assertWithinBudget(auth);
    const enqueuedAt = Date.now();
    const payload: ChatJobPayload = {
      v: CHAT_JOB_VERSION,
      requestId,
      deploymentId: deployment.id,
      deployment: this.catalog.spec(deployment.id),
      modelName: request.model,
      request,
      stream: request.stream === true,
      deadline: enqueuedAt + (deployment.timeoutMs ?? this.config.env.REQUEST_TIMEOUT * 1000),
      enqueuedAt,
    };
    return { request, deployment, payload };
  }

  /** Resolves with the answer as the client expects it (`model` = the name it asked for). */
  async complete(call: PreparedCall): Promise<ChatCompletion> {
    const result = await this.dispatcher.dispatch(call.deployment.provider, call.payload, call.deployment.numRetries);
    if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
    return { ...result.completion, model: call.request.model };
  }

  stream(call: PreparedCall): Promise<ChatStreamHandle> {
    return this.dispatcher.stream(call.deployment.provider, call.payload, call.deployment.numRetries);
  }

  /** The deployment that will serve this model for this key. */
  private route(auth: AuthContext, modelName: string): Deployment {
    const models = this.catalog.models;
    const group = models.group(modelName);
    if (group.length === 0) {
      const visible = models.modelNames().filter((m) => mayUseModel(auth, m));
      throw new SwitchyardError('model_not_found', `model "${modelName}" does not exist; available: ${visible.join(', ') || 'none'}`, {
        param: 'model',
      });
    }
    if (!mayUseModel(auth, modelName)) {
      const allowed = auth.kind === 'virtual' ? auth.key.models.join(', ') : '';
      throw new SwitchyardError('model_not_allowed', `this key may not use model "${modelName}"; it may use: ${allowed}`, { param: 'model' });
    }
    // Several deployments of one model share the load; smarter strategies come with the router.
    return group[Math.floor(Math.random() * group.length)];
  }
}

/** A key whose spend reached its budget makes no more calls until the budget resets or is raised. */
function assertWithinBudget(auth: AuthContext): void {
  if (auth.kind !== 'virtual' || auth.key.maxBudget === null || auth.key.spend < auth.key.maxBudget) return;
  throw new SwitchyardError(
    'budget_exceeded',
    `budget exceeded: this key has spent $${auth.key.spend.toFixed(6)} of its $${auth.key.maxBudget} budget`,
  );
}
