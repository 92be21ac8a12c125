import type { CompletionRequest, TextCompletion } from '@app/contracts';
import type { ChatCallContext, PreparedChatCall } from '../chat-operation';
import type { CompletionsOperation } from '../completions-operation';
import { callUpstream, openUpstreamStream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import { STANDARD_UPSTREAM, type UpstreamTarget, targetSecrets } from '../upstream-target';
import {
  fromOpenAICompletionChunk,
  fromOpenAICompletionResponse,
  toOpenAICompletionRequest,
  toOpenAICompletionStreamRequest,
} from './openai-completions.mapper';
import { createOpenAIStreamMapper, createSseDecoder } from './openai-stream.mapper';

const COMPLETIONS_PATH = '/completions';

/** Legacy text completions over the OpenAI wire (`/v1/completions`), for OpenAI and every OpenAI-compatible server. */
export class OpenAICompletionsAdapter implements CompletionsOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream = { name: 'openai', upstream: STANDARD_UPSTREAM },
  ) {}

  prepare(target: UpstreamTarget, request: CompletionRequest, stream: boolean): PreparedChatCall {
    const body = stream ? toOpenAICompletionStreamRequest(request, target.upstreamModel) : toOpenAICompletionRequest(request, target.upstreamModel);
    return { target, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<TextCompletion> {
    const { target, body } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: COMPLETIONS_PATH, body, context });
    const completion = fromOpenAICompletionResponse(answer);
    if (!completion) throw malformedAnswerError(this.provider.name, 'a text completion');
    return completion;
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<TextCompletion, void, undefined> {
    const { target, body } = call;
    const lines = await openUpstreamStream(this.http, { provider: this.provider, target, path: COMPLETIONS_PATH, body, context });
    const events = createSseDecoder();
    const chunks = createOpenAIStreamMapper<TextCompletion>({
      provider: this.provider.name,
      secrets: targetSecrets(target),
      parse: fromOpenAICompletionChunk,
      chunkName: 'a text completion chunk',
    });
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
