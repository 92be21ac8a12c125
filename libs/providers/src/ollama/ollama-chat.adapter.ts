import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatCallContext, ChatProviderAdapter } from '../chat-provider.adapter';
import { callUpstream } from '../upstream-call';
import { malformedAnswerError } from '../upstream-error.mapper';
import { UpstreamHttpClient } from '../upstream-http.client';
import { fromOllamaChatResponse, isOllamaChatResponse, toOllamaChatRequest } from './ollama-chat.mapper';

/** Ollama's native `/api/chat`; `apiBase` is the server root, e.g. `http://localhost:11434`. */
@Injectable()
export class OllamaChatAdapter implements ChatProviderAdapter {
  readonly provider = Provider.Ollama;

  constructor(private readonly http: UpstreamHttpClient) {}

  async complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): Promise<ChatCompletion> {
    const answer = await callUpstream(this.http, {
      provider: this.provider,
      url: `${deployment.apiBase}/api/chat`,
      body: toOllamaChatRequest(request, deployment.upstreamModel),
      apiKey: deployment.apiKey,
      context,
    });
    if (!isOllamaChatResponse(answer)) throw malformedAnswerError(this.provider, 'an Ollama chat answer');
    return fromOllamaChatResponse(answer, { id: `chatcmpl-${randomBytes(12).toString('hex')}` });
  }
}
