import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { authOf } from '../auth/auth.decorators';
import { callIdsOf } from '../calls/call-hints';
import { ERROR_SCHEMA, openApiSchema } from '../http/api-docs';
import { sendJson } from '../http/send-json';
import { embeddingsRequestSchema } from './embeddings-request.schema';
import { EmbeddingsService } from './embeddings.service';

@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post(['v1/embeddings', 'embeddings'])
  @HttpCode(200)
  @ApiOperation({
    summary: 'Embeddings (OpenAI format)',
    description:
      '`model` is a model_name from config.yaml or the database whose deployments serve embeddings (`model_info.mode: embedding`, or an embedding model by name). `input`: a string, strings, token ids or arrays of token ids (Ollama: text only); `encoding_format` `float` or `base64`.',
  })
  @ApiBody({ schema: openApiSchema(embeddingsRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `list` of `embedding` objects in input order, with `usage`' })
  @ApiResponse({
    status: 400,
    description: 'Invalid request, a chat model, or token ids for a model that takes text only; `param` names the field',
    schema: ERROR_SCHEMA,
  })
  @ApiResponse({ status: 401, description: 'Missing, unknown, expired or blocked key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'Model not allowed for this key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit, queue full or budget exceeded', schema: ERROR_SCHEMA })
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The caller and the body straight from the request: a model call goes through no Nest parameter pipes.
    const auth = authOf(req);
    const body: unknown = req.body;
    const ids = callIdsOf(req);
    const { headers, answer } = await this.embeddings.create(auth, body, ids, (req.facts ??= {}));
    sendJson(res, answer, headers);
  }
}
