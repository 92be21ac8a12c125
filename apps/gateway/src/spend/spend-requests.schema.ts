import { z } from 'zod';

const date = z
  .string()
  .refine((d) => !Number.isNaN(Date.parse(d)), 'must be a date such as 2026-11-01 or 2026-11-01T12:00:00Z')
  .transform((d) => new Date(d));

/** LiteLLM's /spend/logs filters, plus a row limit. */
export const spendLogsQuerySchema = z.looseObject({
  api_key: z.string().min(1).optional(),
  request_id: z.string().min(1).optional(),
  start_date: date.optional(),
  end_date: date.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000, 'must be at most 1000').default(100),
});

export const topQuerySchema = z.looseObject({
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000, 'must be at most 1000').default(100),
});
