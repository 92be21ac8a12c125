import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '@app/contracts';
import type { Deployment } from '@app/config';
import { OpenAIChatAdapter, type PreparedChatCall, UpstreamHttpClient } from '@app/providers';
import type { ChatJobContext, ChatJobProcessor } from '@app/queue';

/** The one thing this worker does: call OpenAI for a job. */
@Injectable()
export class OpenAIChatProcessor implements ChatJobProcessor<PreparedChatCall>, OnApplicationShutdown {
  private readonly http = new UpstreamHttpClient();
  private readonly adapter = new OpenAIChatAdapter(this.http);

  prepare(deployment: Deployment, request: ChatCompletionRequest, stream: boolean): PreparedChatCall {
    return this.adapter.prepare(deployment, request, stream);
  }

  complete(call: PreparedChatCall, context: ChatJobContext): Promise<ChatCompletion> {
    return this.adapter.complete(call, context);
  }

  stream(call: PreparedChatCall, context: ChatJobContext): AsyncIterable<ChatCompletionChunk> {
    return this.adapter.stream(call, context);
  }

  onApplicationShutdown() {
    return this.http.close();
  }
}
