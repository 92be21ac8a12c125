import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SpendLogEntity } from '@app/database';
import { AdminOnly } from '../auth/auth.decorators';
import { tokenOf } from '../auth/key-material';
import { orUnavailable } from '../http/or-unavailable';
import { parseBody } from '../http/parse-body';
import { spendLogsQuerySchema, topQuerySchema } from './spend-requests.schema';

/** A spend log row as LiteLLM's /spend/logs shows it. */
function logView(row: SpendLogEntity) {
  return {
    request_id: row.requestId,
    api_key: row.keyToken,
    key_alias: row.keyAlias,
    model_group: row.modelGroup,
    served_model_group: row.servedModelGroup,
    model_id: row.deploymentId,
    model: row.upstreamModel,
    custom_llm_provider: row.provider,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    total_tokens: row.totalTokens,
    spend: row.spend,
    status: row.status,
    http_status: row.httpStatus,
    error_code: row.errorCode,
    stream: row.stream,
    latency_ms: row.latencyMs,
    startTime: row.startTime.toISOString(),
    endTime: row.endTime.toISOString(),
  };
}

/** LiteLLM's spend endpoints (master key). Rows reach Postgres within about a second of a call's end. */
@ApiTags('Spend (admin)')
@ApiBearerAuth()
@Controller()
@AdminOnly()
export class SpendController {
  constructor(@InjectRepository(SpendLogEntity) private readonly logs: Repository<SpendLogEntity>) {}

  @Get('spend/logs')
  @ApiOperation({ summary: 'Spend log rows, newest first: one per call (tokens, cost, latency, status)' })
  @ApiQuery({ name: 'api_key', required: false, description: 'A key or its hash' })
  @ApiQuery({ name: 'request_id', required: false })
  @ApiQuery({ name: 'start_date', required: false })
  @ApiQuery({ name: 'end_date', required: false })
  @ApiQuery({ name: 'limit', required: false, description: 'At most 1000; default 100' })
  async spendLogs(@Query() query: unknown) {
    const q = parseBody(spendLogsQuerySchema, query);
    const builder = this.logs.createQueryBuilder('l').orderBy('l.start_time', 'DESC').addOrderBy('l.id', 'DESC').limit(q.limit);
    if (q.api_key) builder.andWhere('l.key_token = :token', { token: tokenOf(q.api_key) });
    if (q.request_id) builder.andWhere('l.request_id = :id', { id: q.request_id });
    if (q.start_date) builder.andWhere('l.start_time >= :start', { start: q.start_date });
    if (q.end_date) builder.andWhere('l.start_time <= :end', { end: q.end_date });
    return (await orUnavailable(builder.getMany())).map(logView);
  }

  @Get('global/spend')
  @ApiOperation({ summary: 'Total spend of every call, and how many there were' })
  async globalSpend() {
    const [row] = await orUnavailable(this.logs.query('SELECT coalesce(sum(spend), 0)::float8 AS spend, count(*)::int AS requests FROM spend_logs'));
    return { spend: row.spend, requests: row.requests, max_budget: null };
  }

  @Get('global/spend/keys')
  @ApiOperation({ summary: 'Requests, tokens and spend per key, highest spend first (the master key is api_key null)' })
  @ApiQuery({ name: 'limit', required: false })
  async spendByKey(@Query() query: unknown) {
    const { limit } = parseBody(topQuerySchema, query);
    return orUnavailable(
      this.logs.query(
        `SELECT l.key_token AS api_key, k.key_alias, k.key_name, count(*)::int AS requests,
                coalesce(sum(l.total_tokens), 0)::int AS total_tokens, coalesce(sum(l.spend), 0)::float8 AS total_spend
           FROM spend_logs l LEFT JOIN virtual_keys k ON k.token = l.key_token
          GROUP BY l.key_token, k.key_alias, k.key_name
          ORDER BY total_spend DESC, requests DESC LIMIT $1`,
        [limit],
      ),
    );
  }

  @Get('global/spend/models')
  @ApiOperation({ summary: 'Requests, tokens and spend per requested model, highest spend first' })
  @ApiQuery({ name: 'limit', required: false })
  async spendByModel(@Query() query: unknown) {
    const { limit } = parseBody(topQuerySchema, query);
    return orUnavailable(
      this.logs.query(
        `SELECT model_group AS model, count(*)::int AS requests, coalesce(sum(total_tokens), 0)::int AS total_tokens,
                coalesce(sum(spend), 0)::float8 AS total_spend
           FROM spend_logs GROUP BY model_group ORDER BY total_spend DESC, requests DESC LIMIT $1`,
        [limit],
      ),
    );
  }
}
