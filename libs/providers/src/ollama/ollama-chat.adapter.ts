import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatCallContext, ChatProviderAdapter, PreparedChatCall } from '../chat-provider.adapter';
import { callUpstream, deploymentSecrets, openUpstreamStream } from '../upstream-call';
import { malformedAnswerError } from '../upstream-error.mapper';
import { UpstreamHttpClient } from '../upstream-http.client';
import { fromOllamaChatResponse, isOllamaChatResponse, toOllamaChatRequest, toOllamaChatStreamRequest } from './ollama-chat.mapper';
import { createOllamaStreamMapper } from './ollama-stream.mapper';

/** Ollama's native `/api/chat`; `apiBase` is the server root, e.g. `http://localhost:11434`. */
@Injectable()
export class OllamaChatAdapter implements ChatProviderAdapter {
  readonly provider = Provider.Ollama;

  constructor(private readonly http: UpstreamHttpClient) {}

  prepare(deployment: Deployment, request: ChatCompletionRequest, stream: boolean): PreparedChatCall {
    const body = stream ? toOllamaChatStreamRequest(request, deployment.upstreamModel) : toOllamaChatRequest(request, deployment.upstreamModel);
    return { deployment, body, stream };
  }

  async complete(call: PreparedChatCall, context: ChatCallContext): Promise<ChatCompletion> {
    const { deployment, body } = call;
    const answer = await callUpstream(this.http, {
      provider: this.provider,
      deployment,
      path: '/api/chat',
      body,
      context,
    });
    if (!isOllamaChatResponse(answer)) throw malformedAnswerError(this.provider, 'an Ollama chat answer');
    return fromOllamaChatResponse(answer, { id: newCompletionId() });
  }

  async *stream(call: PreparedChatCall, context: ChatCallContext): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const { deployment, body } = call;
    const lines = await openUpstreamStream(this.http, {
      provider: this.provider,
      deployment,
      path: '/api/chat',
      body,
      context,
    });
    const chunks = createOllamaStreamMapper({ id: newCompletionId(), created: Math.floor(Date.now() / 1000), secrets: deploymentSecrets(deployment) });
    try {
      // After the final line the rest of the body is still read, so the connection can be reused.
      for await (const line of lines) {
        if (line.trim() === '' || chunks.done) continue;
        yield* chunks.push(parseLine(line));
      }
      yield* chunks.end();
    } finally {
      lines.close();
    }
  }
}

function newCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw malformedAnswerError(Provider.Ollama, 'an Ollama chat stream line');
  }
}
