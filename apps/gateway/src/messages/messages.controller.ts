import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import type { AuthContext } from '../auth/auth-context';
import { Auth, authOf } from '../auth/auth.decorators';
import { callIdsOf } from '../calls/call-hints';
import { clientGone, sendSse } from '../calls/sse-response';
import { openApiSchema } from '../http/api-docs';
import { sendJson } from '../http/send-json';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-request.schema';
import { PING_FRAME } from './messages-stream';
import { MessagesService } from './messages.service';

/** Anthropic's error answer, for `@ApiResponse`. */
const ANTHROPIC_ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['error'] },
    error: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } } },
    request_id: { type: 'string' },
  },
};

@ApiTags('Anthropic')
@ApiBearerAuth()
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Post('v1/messages')
  @ApiOperation({
    summary: "Message (Anthropic's Messages API), on any backend",
    description:
      "The key in `x-api-key` or `Authorization: Bearer`; `anthropic-version` accepted. `model` is a model_name from config.yaml or the database. With `stream: true` the answer is Anthropic's server-sent events (`message_start` … `message_stop`). Errors in Anthropic's shape; a full backend queue is 529 `overloaded_error`.",
  })
  @ApiBody({ schema: openApiSchema(messagesRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `message` object, or its stream of events' })
  @ApiResponse({ status: 400, description: 'Invalid request; the message names the field', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 401, description: 'Missing, unknown, expired or blocked key', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown model', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit or budget exceeded', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 529, description: "The backend's queue is full", schema: ANTHROPIC_ERROR_SCHEMA })
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The caller and the body straight from the request: a model call goes through no Nest parameter pipes.
    const auth = authOf(req);
    const body: unknown = req.body;
    const answer = await this.messages.handle(auth, body, callIdsOf(req), (req.facts ??= {}), clientGone(res));
    if ('message' in answer) return sendJson(res, answer.message, answer.headers);
    res.set(answer.headers);
    await sendSse(req, res, answer.frames, this.config.env.STREAM_KEEPALIVE * 1000, PING_FRAME);
  }

  @Post('v1/messages/count_tokens')
  @HttpCode(200)
  @ApiOperation({
    summary: "Count a message's input tokens (Anthropic's Messages API)",
    description: "An estimate (characters / 4, as Switchyard's limits count a prompt), not the backend tokenizer's count.",
  })
  @ApiBody({ schema: openApiSchema(countTokensRequestSchema) })
  @ApiResponse({ status: 200, description: '`{"input_tokens": n}`' })
  @ApiResponse({ status: 400, description: 'Invalid request', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ANTHROPIC_ERROR_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown model', schema: ANTHROPIC_ERROR_SCHEMA })
  countTokens(@Auth() auth: AuthContext, @Body() body: unknown, @Req() req: Request): { input_tokens: number } {
    return this.messages.countTokens(auth, body, callIdsOf(req), (req.facts ??= {}));
  }
}
