import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatCallContext, ChatProviderAdapter } from '../chat-provider.adapter';
import { callUpstream } from '../upstream-call';
import { malformedAnswerError } from '../upstream-error.mapper';
import { UpstreamHttpClient } from '../upstream-http.client';
import { fromOpenAIChatResponse, toOpenAIChatRequest } from './openai-chat.mapper';

/** OpenAI and OpenAI-compatible APIs; `apiBase` already ends in `/v1`. */
@Injectable()
export class OpenAIChatAdapter implements ChatProviderAdapter {
  readonly provider = Provider.OpenAI;

  constructor(private readonly http: UpstreamHttpClient) {}

  async complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): Promise<ChatCompletion> {
    const answer = await callUpstream(this.http, {
      provider: this.provider,
      url: `${deployment.apiBase}/chat/completions`,
      body: toOpenAIChatRequest(request, deployment.upstreamModel),
      apiKey: deployment.apiKey,
      context,
    });
    const completion = fromOpenAIChatResponse(answer);
    if (!completion) throw malformedAnswerError(this.provider, 'a chat completion');
    return completion;
  }
}
