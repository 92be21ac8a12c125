import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GatewayConfig } from '@app/config';
import { authOf } from '../auth/auth.decorators';
import { callIdsOf } from '../calls/call-hints';
import { clientGone, sendSse } from '../calls/sse-response';
import { ERROR_SCHEMA, openApiSchema } from '../http/api-docs';
import { sendJson } from '../http/send-json';
import { completionRequestSchema } from './completions-request.schema';
import { CompletionsService } from './completions.service';

@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class CompletionsController {
  constructor(
    private readonly completions: CompletionsService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Post(['v1/completions', 'completions'])
  @ApiOperation({
    summary: 'Completion (OpenAI legacy completions format)',
    description:
      '`model` is a model_name from config.yaml or the database. `suffix` for fill-in-the-middle. OpenAI-compatible backends get `/v1/completions`; Ollama gets `/api/generate` (one text prompt, no `n` > 1, `echo`, `logprobs` or `best_of`). With `stream: true` the answer is `text/event-stream`: `data: {chunk}` lines, then `data: [DONE]`.',
  })
  @ApiBody({ schema: openApiSchema(completionRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `text_completion` object, or a stream of them' })
  @ApiResponse({ status: 400, description: 'Invalid request, or one the backend cannot take; `param` names the field', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 401, description: 'Missing, unknown, expired or blocked key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit, queue full or budget exceeded', schema: ERROR_SCHEMA })
  async complete(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The caller and the body straight from the request: a model call goes through no Nest parameter pipes.
    const auth = authOf(req);
    const body: unknown = req.body;
    const ids = callIdsOf(req);
    const answer = await this.completions.handle(auth, body, ids, (req.facts ??= {}), clientGone(res));
    if ('completion' in answer) return sendJson(res, answer.completion, answer.headers);
    res.set(answer.headers);
    await sendSse(req, res, answer.frames, this.config.env.STREAM_KEEPALIVE * 1000);
  }
}
