import { z } from 'zod';
import { queryDate, queryInt, queryText } from '../http/stored-values';

/** LiteLLM's /spend/logs filters, plus a row limit. */
export const spendLogsQuerySchema = z.looseObject({
  api_key: queryText('a key or its hash').optional(),
  request_id: queryText('a request id').optional(),
  start_date: queryDate.optional(),
  end_date: queryDate.optional(),
  /** Comma-separated: rows carrying any of these tags. */
  tags: queryText('tags, comma separated').optional(),
  /** The API the calls came through: `chat_completions`, `responses`, `messages`, … */
  api: queryText('an API such as chat_completions').optional(),
  limit: queryInt(1, 1000, 100),
});

/** LiteLLM's /spend/tags: the spend per tag, between two dates if given. */
export const spendTagsQuerySchema = z.looseObject({
  start_date: queryDate.optional(),
  end_date: queryDate.optional(),
  limit: queryInt(1, 1000, 100),
});

export const topQuerySchema = z.looseObject({
  limit: queryInt(1, 1000, 100),
});

/** Longest range /spend/activity answers, per bucket size: about 31 days of hours, 2 years of days. */
export const ACTIVITY_MAX_BUCKETS = { hour: 24 * 31, day: 366 * 2 } as const;
const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/** /spend/activity: spend, calls and tokens per hour or day, per key, model or tag (or all together). */
export const spendActivityQuerySchema = z
  .looseObject({
    granularity: z.enum(['hour', 'day'], { error: 'must be hour or day' }).default('day'),
    group_by: z.enum(['key', 'model', 'tag'], { error: 'must be key, model or tag' }).optional(),
    start_date: queryDate.optional(),
    end_date: queryDate.optional(),
    /** Series kept, highest spend first; the others add up in one series, `group` null and label `other`. */
    groups: queryInt(1, 50, 10),
  })
  .transform((q, ctx) => {
    const end = q.end_date ?? new Date();
    // By default the last 48 hours, or the last 30 days.
    const start = q.start_date ?? new Date(end.getTime() - (q.granularity === 'hour' ? 48 : 30 * 24) * BUCKET_MS.hour);
    if (start > end) ctx.addIssue({ code: 'custom', path: ['start_date'], message: 'must not be after end_date' });
    else if (end.getTime() - start.getTime() > ACTIVITY_MAX_BUCKETS[q.granularity] * BUCKET_MS[q.granularity]) {
      ctx.addIssue({
        code: 'custom',
        path: ['start_date'],
        message: `must be at most ${ACTIVITY_MAX_BUCKETS[q.granularity]} ${q.granularity}s before end_date`,
      });
    }
    return { ...q, start_date: start, end_date: end };
  });
