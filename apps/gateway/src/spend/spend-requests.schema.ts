import { z } from 'zod';
import { queryDate, queryInt, queryText } from '../http/stored-values';

/** LiteLLM's /spend/logs filters, plus a row limit. */
export const spendLogsQuerySchema = z.looseObject({
  api_key: queryText('a key or its hash').optional(),
  request_id: queryText('a request id').optional(),
  start_date: queryDate.optional(),
  end_date: queryDate.optional(),
  limit: queryInt(1, 1000, 100),
});

export const topQuerySchema = z.looseObject({
  limit: queryInt(1, 1000, 100),
});
