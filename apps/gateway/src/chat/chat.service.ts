import { Inject, Injectable } from '@nestjs/common';
import { CHAT_JOB_VERSION, type ChatCompletion, type ChatCompletionRequest, SwitchyardError } from '@app/contracts';
import { type Deployment, GatewayConfig } from '@app/config';
import { ChatDispatcher } from '@app/queue';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { parseBody } from '../http/parse-body';
import { chatRequestSchema } from './chat-request.schema';

@Injectable()
export class ChatService {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(ChatDispatcher) private readonly dispatcher: ChatDispatcher,
  ) {}

  /** Validates, authorises, routes and enqueues one call; resolves with the answer as the client expects it. */
  async complete(auth: AuthContext, body: unknown, requestId: string): Promise<ChatCompletion> {
    const request = parseBody(chatRequestSchema, body) as ChatCompletionRequest;
    if (request.stream) {
      throw new SwitchyardError('invalid_request', 'stream: true is not supported yet; send stream: false or omit it', { param: 'stream' });
    }
    const deployment = this.route(auth, request.model);
    const enqueuedAt = Date.now();
    const result = await this.dispatcher.dispatch(
      deployment.provider,
      {
        v: CHAT_JOB_VERSION,
        requestId,
        deploymentId: deployment.id,
        modelName: request.model,
        request,
        stream: false,
        deadline: enqueuedAt + (deployment.timeoutMs ?? this.config.env.REQUEST_TIMEOUT * 1000),
        enqueuedAt,
      },
      deployment.numRetries,
    );
    return { ...result.completion, model: request.model };
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
