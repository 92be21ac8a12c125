import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SpendLogEntity, VirtualKeyEntity } from '@app/database';
import { AdminOnly } from '../auth/auth.decorators';
import { tokenOf } from '../auth/key-material';
import { orUnavailable } from '../http/or-unavailable';
import { parseBody } from '../http/parse-body';
import { spendActivityQuerySchema, spendLogsQuerySchema, spendTagsQuerySchema, topQuerySchema } from './spend-requests.schema';

/** What the totals per key and per model add up for each: LiteLLM's field names. */
interface SpendTotals {
  requests: number;
  total_tokens: number;
  total_spend: number;
}

/**
 * What /spend/activity groups by: the series id (`g`), the `group` it answers, a readable label,
 * and the join it needs. A key is one series across regenerations (its id); the master key's
 * calls carry no key.
 */
const ACTIVITY_GROUPS = {
  key: {
    from: 'spend_logs l LEFT JOIN virtual_keys k ON k.id = l.key_id',
    g: "coalesce(l.key_id::text, l.key_token, '')",
    group: 'coalesce(k.token, l.key_token)',
    label: "coalesce(k.key_alias, l.key_alias, k.key_name, CASE WHEN l.key_token IS NULL THEN 'master key' ELSE 'deleted key' END)",
  },
  model: { from: 'spend_logs l', g: 'l.model_group', group: 'l.model_group', label: 'l.model_group' },
  tag: { from: 'spend_logs l CROSS JOIN LATERAL unnest(l.tags) AS t(tag)', g: 't.tag', group: 't.tag', label: 't.tag' },
  all: { from: 'spend_logs l', g: "''", group: 'NULL::text', label: "'all'" },
} as const;

/** A spend log row as LiteLLM's /spend/logs shows it; `apiKey` is the key's current hash. */
function logView(row: SpendLogEntity, apiKey: string | null) {
  return {
    request_id: row.requestId,
    api_key: apiKey,
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
    api: row.api,
    request_tags: row.tags,
    latency_ms: row.latencyMs,
    startTime: row.startTime.toISOString(),
    endTime: row.endTime.toISOString(),
  };
}

/**
 * LiteLLM's spend endpoints (master key). Rows reach Postgres within about a second of a call's
 * end. Counts and token sums are bigint/numeric in Postgres and JSON numbers here (float8: exact
 * up to 2^53).
 */
@ApiTags('Spend (admin)')
@ApiBearerAuth()
@Controller()
@AdminOnly()
export class SpendController {
  constructor(
    @InjectRepository(SpendLogEntity) private readonly logs: Repository<SpendLogEntity>,
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
  ) {}

  @Get('spend/logs')
  @ApiOperation({ summary: 'Spend log rows, newest first: one per call (tokens, cost, latency, status)' })
  @ApiQuery({ name: 'api_key', required: false, description: 'A key or its hash' })
  @ApiQuery({ name: 'request_id', required: false })
  @ApiQuery({ name: 'start_date', required: false })
  @ApiQuery({ name: 'end_date', required: false })
  @ApiQuery({ name: 'tags', required: false, description: 'Comma separated: rows with any of these tags' })
  @ApiQuery({ name: 'api', required: false, description: 'The API the calls came through: chat_completions, responses, messages, …' })
  @ApiQuery({ name: 'limit', required: false, description: 'At most 1000; default 100' })
  async spendLogs(@Query() query: unknown) {
    const q = parseBody(spendLogsQuerySchema, query);
    // Rows name a key by id and by the hash it had then; a regenerated key shows its hash of now.
    const builder = this.logs
      .createQueryBuilder('l')
      .leftJoin(VirtualKeyEntity, 'k', 'k.id = l.key_id')
      .addSelect('coalesce(k.token, l.key_token)', 'api_key')
      .orderBy('l.start_time', 'DESC')
      .addOrderBy('l.id', 'DESC')
      .limit(q.limit);
    if (q.api_key) {
      const token = tokenOf(q.api_key);
      // A live key's whole history, whatever hashes it had; a deleted key's rows by the hash they carry.
      const live = await orUnavailable(this.keys.findOne({ where: { token }, select: { id: true } }));
      if (live) builder.andWhere('l.key_id = :keyId', { keyId: live.id });
      else builder.andWhere('l.key_token = :token', { token });
    }
    if (q.request_id) builder.andWhere('l.request_id = :id', { id: q.request_id });
    if (q.start_date) builder.andWhere('l.start_time >= :start', { start: q.start_date });
    if (q.end_date) builder.andWhere('l.start_time <= :end', { end: q.end_date });
    if (q.api) builder.andWhere('l.api = :api', { api: q.api });
    if (q.tags) {
      const tags = q.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (tags.length) builder.andWhere('l.tags && CAST(:tags AS text[])', { tags });
    }
    const { entities, raw } = await orUnavailable(builder.getRawAndEntities<{ api_key: string | null }>());
    return entities.map((row, i) => logView(row, raw[i].api_key));
  }

  @Get('spend/tags')
  @ApiOperation({ summary: "Requests, tokens and spend per tag (a call's x-litellm-tags and its key's tags), highest spend first" })
  @ApiQuery({ name: 'start_date', required: false })
  @ApiQuery({ name: 'end_date', required: false })
  @ApiQuery({ name: 'limit', required: false })
  async spendByTag(@Query() query: unknown) {
    const q = parseBody(spendTagsQuerySchema, query);
    return orUnavailable(
      this.logs.query<Array<{ individual_request_tag: string; log_count: number; total_tokens: number; total_spend: number }>>(
        `SELECT t.tag AS individual_request_tag, count(*)::float8 AS log_count,
                coalesce(sum(l.total_tokens), 0)::float8 AS total_tokens, coalesce(sum(l.spend), 0)::float8 AS total_spend
           FROM spend_logs l CROSS JOIN LATERAL unnest(l.tags) AS t(tag)
          WHERE ($1::timestamptz IS NULL OR l.start_time >= $1) AND ($2::timestamptz IS NULL OR l.start_time <= $2)
          GROUP BY t.tag ORDER BY total_spend DESC, log_count DESC, t.tag LIMIT $3`,
        [q.start_date ?? null, q.end_date ?? null, q.limit],
      ),
    );
  }

  @Get('spend/activity')
  @ApiOperation({
    summary: 'Requests, tokens and spend per hour or per day (UTC), per key, model or tag; for charts',
    description:
      'Buckets with no calls are left out. The `groups` series with the highest spend in the range are kept; the others add up in one series with `group` null and `label` "other". A call with several tags counts once per tag.',
  })
  @ApiQuery({ name: 'granularity', required: false, enum: ['hour', 'day'], description: 'Default day' })
  @ApiQuery({ name: 'group_by', required: false, enum: ['key', 'model', 'tag'], description: 'Default: one series of every call' })
  @ApiQuery({ name: 'start_date', required: false, description: 'Default: 48 hours (hour) or 30 days (day) before end_date' })
  @ApiQuery({ name: 'end_date', required: false, description: 'Default: now' })
  @ApiQuery({ name: 'groups', required: false, description: 'Series kept, 1 to 50; default 10' })
  async spendActivity(@Query() query: unknown) {
    const q = parseBody(spendActivityQuerySchema, query);
    const by = ACTIVITY_GROUPS[q.group_by ?? 'all'];
    const rows = await orUnavailable(
      this.logs.query<Array<{ bucket: Date; group: string | null; label: string; requests: number; total_tokens: number; spend: number }>>(
        `WITH rows AS (
           SELECT date_trunc($3, l.start_time, 'UTC') AS bucket, ${by.g} AS g, ${by.group} AS grp, ${by.label} AS label,
                  l.total_tokens, l.spend
             FROM ${by.from}
            WHERE l.start_time >= $1 AND l.start_time <= $2
         ), top AS (
           SELECT g FROM rows GROUP BY g ORDER BY sum(spend) DESC, count(*) DESC, g LIMIT $4
         )
         SELECT r.bucket, CASE WHEN t.g IS NULL THEN NULL ELSE max(r.grp) END AS "group",
                CASE WHEN t.g IS NULL THEN 'other' ELSE max(r.label) END AS label,
                count(*)::float8 AS requests, coalesce(sum(r.total_tokens), 0)::float8 AS total_tokens, coalesce(sum(r.spend), 0)::float8 AS spend
           FROM rows r LEFT JOIN top t ON t.g = r.g
          GROUP BY r.bucket, t.g ORDER BY r.bucket, spend DESC, label`,
        [q.start_date, q.end_date, q.granularity, q.groups],
      ),
    );
    return {
      granularity: q.granularity,
      group_by: q.group_by ?? null,
      start_date: q.start_date.toISOString(),
      end_date: q.end_date.toISOString(),
      data: rows.map((r) => ({ ...r, bucket: new Date(r.bucket).toISOString() })),
    };
  }

  @Get('global/spend')
  @ApiOperation({ summary: 'Total spend of every call, and how many there were' })
  async globalSpend() {
    const [row] = await orUnavailable(
      this.logs.query<Array<{ spend: number; requests: number }>>(
        'SELECT coalesce(sum(spend), 0)::float8 AS spend, count(*)::float8 AS requests FROM spend_logs',
      ),
    );
    return { spend: row.spend, requests: row.requests, max_budget: null };
  }

  @Get('global/spend/keys')
  @ApiOperation({ summary: 'Requests, tokens and spend per key, highest spend first (the master key is api_key null)' })
  @ApiQuery({ name: 'limit', required: false })
  async spendByKey(@Query() query: unknown) {
    const { limit } = parseBody(topQuerySchema, query);
    return orUnavailable(
      this.logs.query<Array<SpendTotals & { api_key: string | null; key_alias: string | null; key_name: string | null }>>(
        `SELECT coalesce(max(k.token), max(l.key_token)) AS api_key, max(k.key_alias) AS key_alias, max(k.key_name) AS key_name,
                count(*)::float8 AS requests, coalesce(sum(l.total_tokens), 0)::float8 AS total_tokens, coalesce(sum(l.spend), 0)::float8 AS total_spend
           FROM spend_logs l LEFT JOIN virtual_keys k ON k.id = l.key_id
          GROUP BY coalesce(l.key_id::text, l.key_token)
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
      this.logs.query<Array<SpendTotals & { model: string }>>(
        `SELECT model_group AS model, count(*)::float8 AS requests, coalesce(sum(total_tokens), 0)::float8 AS total_tokens,
                coalesce(sum(spend), 0)::float8 AS total_spend
           FROM spend_logs GROUP BY model_group ORDER BY total_spend DESC, requests DESC LIMIT $1`,
        [limit],
      ),
    );
  }
}
