import { randomBytes } from 'node:crypto';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { ChatCallContext, ChatOperation, PreparedChatCall } from '../chat-operation';
import { callUpstream, openUpstreamStream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import { STANDARD_UPSTREAM, type UpstreamTarget, targetSecrets } from '../upstream-target';
import { fromOllamaChatResponse, isOllamaChatResponse, toOllamaChatRequest, toOllamaChatStreamRequest } from './ollama-chat.mapper';
import { withOllamaSettings } from './ollama-settings';
import { createOllamaStreamMapper } from './ollama-stream.mapper';

const CHAT_PATH = '/api/chat';

/** Ollama's native `/api/chat`; `apiBase` is the server root, e.g. `http://localhost:11434`. */
export class OllamaChatAdapter implements ChatOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream = { name: 'ollama', upstream: STANDARD_UPSTREAM },
  ) {}

  prepare(target: UpstreamTarget, request: ChatCompletionRequest, stream: boolean): PreparedChatCall {
    const body = withOllamaSettings(
      stream ? toOllamaChatStreamRequest(request, target.upstreamModel) : toOllamaChatRequest(request, target.upstreamModel),
      target,
    );
    return { target, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<ChatCompletion> {
    const { target, body } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: CHAT_PATH, body, context });
    if (!isOllamaChatResponse(answer)) throw malformedAnswerError(this.provider.name, 'an Ollama chat answer');
    return fromOllamaChatResponse(answer, { id: newCompletionId() });
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { target, body } = call;
    const lines = await openUpstreamStream(this.http, { provider: this.provider, target, path: CHAT_PATH, body, context });
    const chunks = createOllamaStreamMapper({
      id: newCompletionId(),
      created: Math.floor(Date.now() / 1000),
      secrets: targetSecrets(target),
      provider: this.provider.name,
    });
    try {
      // After the final line the rest of the body is still read, so the connection can be reused.
      for await (const line of lines) {
        if (line.trim() === '' || chunks.done) continue;
        yield* chunks.push(this.parseLine(line));
      }
      yield* chunks.end();
    } finally {
      lines.close();
    }
  }

  private parseLine(line: string): unknown {
    try {
      return JSON.parse(line);
    } catch {
      throw malformedAnswerError(this.provider.name, 'an Ollama chat stream line');
    }
  }
}

function newCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}
