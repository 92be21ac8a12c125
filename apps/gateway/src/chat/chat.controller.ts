import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import { callIdFor } from '@app/observability';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { ERROR_SCHEMA, openApiSchema } from '../http/api-docs';
import { chatRequestSchema } from './chat-request.schema';
import { relayChatStream } from './chat-stream.relay';
import { ChatService, servedHeaders } from './chat.service';

@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Post(['v1/chat/completions', 'chat/completions'])
  @ApiOperation({
    summary: 'Chat completion (OpenAI format)',
    description: '`model` is a model_name from config.yaml or the database. With `stream: true` the answer is `text/event-stream`: `data: {chunk}` lines, then `data: [DONE]`.',
  })
  @ApiBody({ schema: openApiSchema(chatRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `chat.completion` object, or a stream of `chat.completion.chunk`s' })
  @ApiResponse({ status: 400, description: 'Invalid request; `param` names the field', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 401, description: 'Missing, unknown, expired or blocked key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit, queue full or budget exceeded', schema: ERROR_SCHEMA })
  async complete(@Auth() auth: AuthContext, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    req.facts ??= {};
    const call = this.chat.prepare(auth, body, { requestId: req.requestId, callId: callIdFor(req.requestId, req.requestIdFromClient) }, req.facts);
    const admission = await this.chat.admit(call);
    res.set(admission.headers);
    if (!call.stream) {
      const { completion, served } = await this.chat.complete(call, admission);
      res.set(servedHeaders(served)).status(200).json(completion);
      return;
    }
    const hungUp = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hungUp.abort();
    });
    const { handle, served } = await this.chat.stream(call, admission, hungUp.signal);
    res.set(servedHeaders(served));
    await relayChatStream(handle, req, res, {
      model: call.request.model,
      includeUsage: call.request.stream_options?.include_usage === true,
      keepAliveMs: this.config.env.STREAM_KEEPALIVE * 1000,
      onFirstChunk: () => this.chat.firstChunkSent(call),
    });
  }
}
