import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { ChatCallContext, ChatOperation, PreparedChatCall } from '../chat-operation';
import { callUpstream, openUpstreamStream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import { STANDARD_UPSTREAM, type UpstreamTarget, targetSecrets } from '../upstream-target';
import { fromOpenAIChatResponse, toOpenAIChatRequest, toOpenAIChatStreamRequest } from './openai-chat.mapper';
import { createOpenAIStreamMapper, createSseDecoder } from './openai-stream.mapper';

const CHAT_PATH = '/chat/completions';

/**
 * Chat over the OpenAI wire: OpenAI and every OpenAI-compatible server (vLLM, LM Studio);
 * `apiBase` already ends in `/v1`. `provider` names the upstream in messages and says how to reach it.
 */
export class OpenAIChatAdapter implements ChatOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream = { name: 'openai', upstream: STANDARD_UPSTREAM },
  ) {}

  prepare(target: UpstreamTarget, request: ChatCompletionRequest, stream: boolean): PreparedChatCall {
    const body = stream ? toOpenAIChatStreamRequest(request, target.upstreamModel) : toOpenAIChatRequest(request, target.upstreamModel);
    return { target, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<ChatCompletion> {
    const { target, body } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: CHAT_PATH, body, context });
    const completion = fromOpenAIChatResponse(answer);
    if (!completion) throw malformedAnswerError(this.provider.name, 'a chat completion');
    return completion;
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { target, body } = call;
    const lines = await openUpstreamStream(this.http, { provider: this.provider, target, path: CHAT_PATH, body, context });
    const events = createSseDecoder();
    const chunks = createOpenAIStreamMapper({ provider: this.provider.name, secrets: targetSecrets(target) });
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
