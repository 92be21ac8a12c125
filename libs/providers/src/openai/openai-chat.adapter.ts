import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatCallContext, ChatProviderAdapter, PreparedChatCall } from '../chat-provider.adapter';
import { callUpstream, deploymentSecrets, openUpstreamStream } from '../upstream-call';
import { malformedAnswerError } from '../upstream-error.mapper';
import { UpstreamHttpClient } from '../upstream-http.client';
import { fromOpenAIChatResponse, toOpenAIChatRequest, toOpenAIChatStreamRequest } from './openai-chat.mapper';
import { createOpenAIStreamMapper, createSseDecoder } from './openai-stream.mapper';

/** OpenAI and OpenAI-compatible APIs; `apiBase` already ends in `/v1`. */
@Injectable()
export class OpenAIChatAdapter implements ChatProviderAdapter {
  readonly provider = Provider.OpenAI;

  constructor(private readonly http: UpstreamHttpClient) {}

  prepare(deployment: Deployment, request: ChatCompletionRequest, stream: boolean): PreparedChatCall {
    const body = stream ? toOpenAIChatStreamRequest(request, deployment.upstreamModel) : toOpenAIChatRequest(request, deployment.upstreamModel);
    return { deployment, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<ChatCompletion> {
    const { deployment, body } = call;
    const answer = await callUpstream(this.http, {
      provider: this.provider,
      deployment,
      path: '/chat/completions',
      body,
      context,
    });
    const completion = fromOpenAIChatResponse(answer);
    if (!completion) throw malformedAnswerError(this.provider, 'a chat completion');
    return completion;
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { deployment, body } = call;
    const lines = await openUpstreamStream(this.http, {
      provider: this.provider,
      deployment,
      path: '/chat/completions',
      body,
      context,
    });
    const events = createSseDecoder();
    const chunks = createOpenAIStreamMapper({ secrets: deploymentSecrets(deployment) });
    try {
      // After `[DONE]` the rest of the body is still read, so the connection can be reused.
      for await (const line of lines) {
        for (const data of events.push(line)) yield* chunks.push(data);
      }
      for (const data of events.end()) yield* chunks.push(data);
      yield* chunks.end();
    } finally {
      lines.close();
    }
  }
}
