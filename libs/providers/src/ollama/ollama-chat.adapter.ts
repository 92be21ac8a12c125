import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, Provider } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { ChatCallContext, ChatProviderAdapter } from '../chat-provider.adapter';
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

  async complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): Promise<ChatCompletion> {
    const answer = await callUpstream(this.http, {
      provider: this.provider,
      deployment,
      path: '/api/chat',
      body: toOllamaChatRequest(request, deployment.upstreamModel),
      context,
    });
    if (!isOllamaChatResponse(answer)) throw malformedAnswerError(this.provider, 'an Ollama chat answer');
    return fromOllamaChatResponse(answer, { id: newCompletionId() });
  }

  async *stream(deployment: Deployment, request: ChatCompletionRequest, context: ChatCallContext): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const lines = await openUpstreamStream(this.http, {
      provider: this.provider,
      deployment,
      path: '/api/chat',
      body: toOllamaChatStreamRequest(request, deployment.upstreamModel),
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
