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
