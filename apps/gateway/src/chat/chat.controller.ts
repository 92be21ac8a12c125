import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import { authOf } from '../auth/auth.decorators';
import { callIdsOf } from '../calls/call-hints';
import { clientGone, sendSse } from '../calls/sse-response';
import { ERROR_SCHEMA, openApiSchema } from '../http/api-docs';
import { sendJson } from '../http/send-json';
import { chatRequestSchema } from './chat-request.schema';
import { ChatService } from './chat.service';

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
    description:
      '`model` is a model_name from config.yaml or the database. With `stream: true` the answer is `text/event-stream`: `data: {chunk}` lines, then `data: [DONE]`.',
  })
  @ApiBody({ schema: openApiSchema(chatRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `chat.completion` object, or a stream of `chat.completion.chunk`s' })
  @ApiResponse({ status: 400, description: 'Invalid request; `param` names the field', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 401, description: 'Missing, unknown, expired or blocked key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit, queue full or budget exceeded', schema: ERROR_SCHEMA })
  async complete(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The caller and the body straight from the request: a model call goes through no Nest parameter pipes.
    const auth = authOf(req);
    const body: unknown = req.body;
    const ids = callIdsOf(req);
    const answer = await this.chat.handle(auth, body, ids, (req.facts ??= {}), clientGone(res));
    if ('completion' in answer) return sendJson(res, answer.completion, answer.headers);
    res.set(answer.headers);
    await sendSse(req, res, answer.frames, this.config.env.STREAM_KEEPALIVE * 1000);
  }
}
