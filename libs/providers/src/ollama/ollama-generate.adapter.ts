import { randomBytes } from 'node:crypto';
import type { CompletionRequest, TextCompletion } from '@app/contracts';
import type { ChatCallContext, PreparedChatCall } from '../chat-operation';
import type { CompletionsOperation } from '../completions-operation';
import { callUpstream, openUpstreamStream } from '../http/upstream-call';
import { malformedAnswerError } from '../http/upstream-error.mapper';
import type { UpstreamHttpClient } from '../http/upstream-http.client';
import type { ProviderUpstream } from '../provider-descriptor';
import { withOllamaSettings } from './ollama-settings';
import { STANDARD_UPSTREAM, type UpstreamTarget, targetSecrets } from '../upstream-target';
import { createOllamaGenerateStreamMapper } from './ollama-generate-stream.mapper';
import { fromOllamaGenerateResponse, isOllamaGenerateResponse, toOllamaGenerateRequest, toOllamaGenerateStreamRequest } from './ollama-generate.mapper';

const GENERATE_PATH = '/api/generate';

/** Legacy text completions over Ollama's native `/api/generate`; `apiBase` is the server root. */
export class OllamaGenerateAdapter implements CompletionsOperation {
  constructor(
    private readonly http: UpstreamHttpClient,
    private readonly provider: ProviderUpstream = { name: 'ollama', upstream: STANDARD_UPSTREAM },
  ) {}

  prepare(target: UpstreamTarget, request: CompletionRequest, stream: boolean): PreparedChatCall {
    const body = withOllamaSettings(
      stream ? toOllamaGenerateStreamRequest(request, target.upstreamModel) : toOllamaGenerateRequest(request, target.upstreamModel),
      target,
    );
    return { target, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<TextCompletion> {
    const { target, body } = call;
    const answer = await callUpstream(this.http, { provider: this.provider, target, path: GENERATE_PATH, body, context });
    if (!isOllamaGenerateResponse(answer)) throw malformedAnswerError(this.provider.name, 'an Ollama generate answer');
    return fromOllamaGenerateResponse(answer, { id: newCompletionId() });
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<TextCompletion, void, undefined> {
    const { target, body } = call;
    const lines = await openUpstreamStream(this.http, { provider: this.provider, target, path: GENERATE_PATH, body, context });
    const chunks = createOllamaGenerateStreamMapper({
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
      throw malformedAnswerError(this.provider.name, 'an Ollama generate stream line');
    }
  }
}

function newCompletionId(): string {
  return `cmpl-${randomBytes(12).toString('hex')}`;
}
