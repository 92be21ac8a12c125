import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';
import { OpenAIChatAdapter, UpstreamHttpClient } from '@app/providers';
import type { ChatJobContext, ChatJobProcessor } from '@app/queue';

/** The one thing this worker does: call OpenAI for a job. */
@Injectable()
export class OpenAIChatProcessor implements ChatJobProcessor, OnApplicationShutdown {
  private readonly http = new UpstreamHttpClient();
  private readonly adapter = new OpenAIChatAdapter(this.http);

  complete(deployment: Deployment, request: ChatCompletionRequest, context: ChatJobContext): Promise<ChatCompletion> {
    return this.adapter.complete(deployment, request, context);
  }

  stream(deployment: Deployment, request: ChatCompletionRequest, context: ChatJobContext): AsyncIterable<ChatCompletionChunk> {
    return this.adapter.stream(deployment, request, context);
  }

  onApplicationShutdown() {
    return this.http.close();
  }
}
