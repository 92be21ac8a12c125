import { z } from 'zod';

const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, mo: 30 * 86400e3 };

/** LiteLLM's durations: `30s`, `15m`, `1h`, `30d`, `2w`, `1mo` (30 days). */
export function durationMs(duration: string): number {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

const duration = z
  .string({ error: 'must be a duration such as "30s", "1h", "30d" or "1mo"' })
  .refine((d) => DURATION.test(d) && durationMs(d) > 0, 'must be a duration such as "30s", "1h", "30d" or "1mo"');
const usd = z.number({ error: 'must be a number (USD)' }).min(0, 'must not be negative');
const limit = z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1');
const keyRef = z.string({ error: 'must be a key or its hash' }).min(1, 'must not be empty');

/** A key chosen by the caller instead of a generated one. */
const customKey = z
  .string({ error: 'must be a string' })
  .regex(/^sk-\S{5,252}$/, 'a custom key must start with "sk-" and have at least 8 characters, no spaces');

/** Settings a key carries; null clears a setting. */
const settings = {
  key_alias: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(255).nullish(),
  models: z.array(z.string().min(1), { error: 'must be an array of model names' }),
  duration: duration.nullish(),
  max_budget: usd.nullish(),
  budget_duration: duration.nullish(),
  rpm_limit: limit.nullish(),
  tpm_limit: limit.nullish(),
  max_parallel_requests: limit.nullish(),
  metadata: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
  blocked: z.boolean({ error: 'must be true or false' }),
};

export const generateKeySchema = z.looseObject({
  ...settings,
  models: settings.models.default([]),
  metadata: settings.metadata.default({}),
  blocked: settings.blocked.default(false),
  key: customKey.optional(),
});
export type GenerateKeyRequest = z.infer<typeof generateKeySchema>;

/** Fields not sent stay as they are. */
export const updateKeySchema = z.looseObject({
  key: keyRef,
  ...settings,
  models: settings.models.optional(),
  metadata: settings.metadata.optional(),
  blocked: settings.blocked.optional(),
});
const keySettingsSchema = z.object(settings).partial();
export type KeySettings = z.infer<typeof keySettingsSchema>;

export const deleteKeysSchema = z
  .looseObject({
    keys: z.array(keyRef, { error: 'must be an array of keys' }).optional(),
    key_aliases: z.array(z.string().min(1), { error: 'must be an array of key aliases' }).optional(),
  })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, { message: "send 'keys' or 'key_aliases'", path: ['keys'] });

export const keyRefSchema = z.looseObject({ key: keyRef });

export const regenerateKeySchema = z.looseObject({ key: keyRef.optional(), new_key: customKey.optional() });

export const listKeysSchema = z.looseObject({
  page: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').default(1),
  size: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').max(100, 'must be at most 100').default(10),
  key_alias: z.string().min(1).optional(),
  return_full_object: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
});
