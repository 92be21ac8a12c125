import { Inject, Injectable } from '@nestjs/common';
import { CHAT_JOB_VERSION, type ChatCompletion, type ChatCompletionRequest, type ChatJobPayload, SwitchyardError } from '@app/contracts';
import { type Deployment, GatewayConfig } from '@app/config';
import { ChatDispatcher, type ChatJobOptions, type ChatStreamHandle, PRIORITY } from '@app/queue';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { parseBody } from '../http/parse-body';
import { chatRequestSchema } from './chat-request.schema';

/** A validated, authorised, routed call, ready to enqueue. */
export interface PreparedCall {
  request: ChatCompletionRequest;
  deployment: Deployment;
  payload: ChatJobPayload;
  jobOptions: ChatJobOptions;
}

@Injectable()
export class ChatService {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(ChatDispatcher) private readonly dispatcher: ChatDispatcher,
  ) {}

  /** Validates, authorises and routes one call. Throws the 4xx a client should see; changes nothing. */
  prepare(auth: AuthContext, body: unknown, requestId: string): PreparedCall {
    // `priority` is Switchyard's (and LiteLLM's), not the upstream's: it never leaves the gateway.
    const { priority, ...request } = parseBody(chatRequestSchema, body) as ChatCompletionRequest & { priority?: number };
    const deployment = this.route(auth, request.model);
    const enqueuedAt = Date.now();
    const stream = request.stream === true;
    const timeoutMs = (stream ? (deployment.streamTimeoutMs ?? deployment.timeoutMs) : deployment.timeoutMs) ?? this.config.env.REQUEST_TIMEOUT * 1000;
    const payload: ChatJobPayload = {
      v: CHAT_JOB_VERSION,
      requestId,
      deploymentId: deployment.id,
      modelName: request.model,
      request,
      stream,
      deadline: enqueuedAt + timeoutMs,
      enqueuedAt,
    };
    return { request, deployment, payload, jobOptions: { numRetries: deployment.numRetries, priority: jobPriority(auth, priority) } };
  }

  /** Resolves with the answer as the client expects it (`model` = the name it asked for). */
  async complete(call: PreparedCall): Promise<ChatCompletion> {
    const result = await this.dispatcher.dispatch(call.deployment.provider, call.payload, call.jobOptions);
    if (!result.completion) throw new SwitchyardError('internal_error', 'the worker returned no completion');
    return { ...result.completion, model: call.request.model };
  }

  stream(call: PreparedCall): Promise<ChatStreamHandle> {
    return this.dispatcher.stream(call.deployment.provider, call.payload, call.jobOptions);
  }

  /** The deployment that will serve this model for this key. */
  private route(auth: AuthContext, modelName: string): Deployment {
    const group = this.config.models.group(modelName);
    if (group.length === 0) {
      const visible = this.config.models.modelNames().filter((m) => mayUseModel(auth, m));
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

/**
 * Queue priority, lower runs sooner: the key's `metadata.priority` (default 128), and a
 * request's `priority` only where it is no sooner than its key's, so a client cannot jump
 * ahead of what its key was given. The master key's requests may ask for any priority.
 */
function jobPriority(auth: AuthContext, requested: number | undefined): number {
  if (auth.kind === 'master') return requested ?? PRIORITY.default;
  const own = auth.key.metadata.priority;
  const keyPriority = Number.isInteger(own) && (own as number) >= 0 && (own as number) <= PRIORITY.max ? (own as number) : PRIORITY.default;
  return Math.max(keyPriority, requested ?? keyPriority);
}
