import { z } from 'zod';

const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, mo: 30 * 86400e3 };

/** LiteLLM's durations: `30s`, `15m`, `1h`, `30d`, `2w`, `1mo` (30 days). */
export function durationMs(duration: string): number {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

export const generateKeySchema = z.looseObject({
  key_alias: z.string().trim().min(1).max(255).nullish(),
  models: z.array(z.string().min(1)).default([]),
  duration: z
    .string()
    .refine((d) => DURATION.test(d) && durationMs(d) > 0, 'must be a duration such as "30s", "1h", "30d" or "1mo"')
    .nullish(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type GenerateKeyRequest = z.infer<typeof generateKeySchema>;

export const deleteKeysSchema = z.looseObject({
  keys: z.array(z.string().min(1)).min(1, 'must name at least one key'),
});
