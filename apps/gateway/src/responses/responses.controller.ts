import { Controller, Delete, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import type { AuthContext } from '../auth/auth-context';
import { Auth, authOf } from '../auth/auth.decorators';
import { callIdsOf } from '../calls/call-hints';
import { clientGone, sendSse } from '../calls/sse-response';
import { ERROR_SCHEMA, openApiSchema } from '../http/api-docs';
import { parseBody } from '../http/parse-body';
import { queryInt } from '../http/stored-values';
import { sendJson } from '../http/send-json';
import type { ConversationItem } from './response-items';
import { responsesRequestSchema } from './responses-request.schema';
import { ResponsesService } from './responses.service';

/** What a response id can look like; anything else is not looked up. */
const RESPONSE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const inputItemsQuery = z.looseObject({
  limit: queryInt(1, 100, 20),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).default('desc'),
  after: z.string({ error: 'must be an item id, given once' }).optional(),
});

@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class ResponsesController {
  constructor(
    private readonly responses: ResponsesService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Post(['v1/responses', 'responses'])
  @ApiOperation({
    summary: 'Create a response (OpenAI Responses API), served by any backend through chat',
    description:
      '`model` is a model_name from config.yaml or the database. With `stream: true` the answer is `text/event-stream`: `event:` and `data:` frames from `response.created` to `response.completed`. Only function tools; `store` (default true) keeps the response for `previous_response_id`, `GET` and `DELETE`.',
  })
  @ApiBody({ schema: openApiSchema(responsesRequestSchema) })
  @ApiResponse({ status: 200, description: 'A `response` object, or a stream of Responses API events' })
  @ApiResponse({ status: 400, description: 'Invalid request; `param` names the field', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 404, description: 'Unknown model, or `previous_response_id` not found for this key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 429, description: 'Rate limit, queue full or budget exceeded', schema: ERROR_SCHEMA })
  async create(@Req() req: Request, @Res() res: Response): Promise<void> {
    // The caller and the body straight from the request: a model call goes through no Nest parameter pipes.
    const auth = authOf(req);
    const body: unknown = req.body;
    const ids = callIdsOf(req);
    const answer = await this.responses.create(auth, body, ids, (req.facts ??= {}), clientGone(res));
    if ('response' in answer) return sendJson(res, answer.response, answer.headers);
    res.set(answer.headers);
    await sendSse(req, res, answer.frames, this.config.env.STREAM_KEEPALIVE * 1000);
  }

  @Get(['v1/responses/:id', 'responses/:id'])
  @ApiOperation({ summary: 'A stored response, as it was answered (only to the key that created it, or the master key)' })
  @ApiResponse({ status: 404, description: 'No such response for this key, or it has expired', schema: ERROR_SCHEMA })
  retrieve(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.responses.retrieve(auth, responseId(id));
  }

  @Delete(['v1/responses/:id', 'responses/:id'])
  @ApiOperation({ summary: 'Delete a stored response (only the key that created it, or the master key)' })
  @ApiResponse({ status: 404, description: 'No such response for this key, or it has expired', schema: ERROR_SCHEMA })
  delete(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.responses.delete(auth, responseId(id));
  }

  @Get(['v1/responses/:id/input_items', 'responses/:id/input_items'])
  @ApiOperation({ summary: 'The input items a stored response was given: `limit` (1–100, default 20), `order` (`asc`, default `desc`), `after` (an item id)' })
  @ApiResponse({ status: 404, description: 'No such response for this key, or it has expired', schema: ERROR_SCHEMA })
  async inputItems(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: unknown) {
    const { limit, order, after } = parseBody(inputItemsQuery, query);
    const items = await this.responses.inputItems(auth, responseId(id));
    return inputItemPage(order === 'asc' ? items : [...items].reverse(), limit, after);
  }
}

function responseId(id: string): string {
  if (!RESPONSE_ID.test(id)) throw new SwitchyardError('not_found', `response "${id.slice(0, 80)}" not found`, { param: 'response_id' });
  return id;
}

/** One page of OpenAI's list shape: the items after `after`, at most `limit`. */
function inputItemPage(items: ConversationItem[], limit: number, after: string | undefined) {
  const start = after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1;
  if (after !== undefined && start === 0)
    throw new SwitchyardError('invalid_request', `no input item "${after.slice(0, 80)}" in this response`, { param: 'after' });
  const data = items.slice(start, start + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < items.length };
}
