import { z } from 'zod';
import { MAX_TAGS, tagsProblem } from '../calls/call-hints';
import { MAX_INT4, containsNul, queryInt, queryText, storedText } from '../http/stored-values';
import { isDuration, longestMs } from './durations';

// Long enough for any real expiry or budget period, short enough that now + duration is a date.
const MAX_DURATION_MS = 100 * 365 * 86400e3;
// One request deletes at most this many keys (and names at most this many aliases).
const MAX_LISTED = 1000;

const DURATION_HINT = 'must be a duration such as "30s", "15m", "1h", "30d", "2w" or "1mo" (a calendar month), at most 100 years (36500d)';
const duration = z.string({ error: DURATION_HINT }).refine((d) => isDuration(d) && longestMs(d) > 0 && longestMs(d) <= MAX_DURATION_MS, DURATION_HINT);
const usd = z.number({ error: 'must be a number (USD)' }).min(0, 'must not be negative');
const limit = z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1').max(MAX_INT4, `must be at most ${MAX_INT4}`);
const keyRef = z.string({ error: 'must be a key or its hash' }).min(1, 'must not be empty');

/** A key chosen by the caller instead of a generated one: it must fit in an HTTP header, so visible ASCII only. */
const customKey = z
  .string({ error: 'must be a string' })
  .regex(/^sk-[\x21-\x7e]{5,252}$/, 'a custom key must start with "sk-" and have at least 8 characters: visible ASCII, no spaces');

/** Settings a key carries; null clears a setting. */
const settings = {
  key_alias: storedText().pipe(z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters')).nullish(),
  models: z.array(z.string().min(1), { error: 'must be an array of model names' }).max(MAX_LISTED, `must list at most ${MAX_LISTED} models`),
  duration: duration.nullish(),
  max_budget: usd.nullish(),
  budget_duration: duration.nullish(),
  rpm_limit: limit.nullish(),
  tpm_limit: limit.nullish(),
  max_parallel_requests: limit.nullish(),
  metadata: z.record(z.string(), z.unknown(), { error: 'must be an object' }).refine((m) => !containsNul(m), 'must not contain NUL characters'),
  blocked: z.boolean({ error: 'must be true or false' }),
  /** LiteLLM's key tags: added to the tags of every call the key makes. */
  tags: z
    .array(z.string({ error: 'must be an array of tags' }), { error: 'must be an array of tags' })
    .max(MAX_TAGS, `must list at most ${MAX_TAGS} tags`)
    .superRefine((tags, ctx) => {
      const problem = tagsProblem(tags);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
};

export const generateKeySchema = z.looseObject({
  ...settings,
  models: settings.models.default([]),
  metadata: settings.metadata.default({}),
  blocked: settings.blocked.default(false),
  tags: settings.tags.default([]),
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
  tags: settings.tags.optional(),
});
export type KeySettings = Partial<z.infer<z.ZodObject<typeof settings>>>;

export const deleteKeysSchema = z
  .looseObject({
    keys: z.array(keyRef, { error: 'must be an array of keys' }).max(MAX_LISTED, `must list at most ${MAX_LISTED} keys`).optional(),
    key_aliases: z
      .array(storedText().pipe(z.string().min(1, 'must not be empty')), { error: 'must be an array of key aliases' })
      .max(MAX_LISTED, `must list at most ${MAX_LISTED} aliases`)
      .optional(),
  })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, { message: "send 'keys' or 'key_aliases'", path: ['keys'] });

export const keyRefSchema = z.looseObject({ key: keyRef });

export const regenerateKeySchema = z.looseObject({ key: keyRef.optional(), new_key: customKey.optional() });

export const listKeysSchema = z.looseObject({
  page: queryInt(1, 100_000, 1),
  size: queryInt(1, 100, 10),
  key_alias: queryText('an alias').optional(),
  return_full_object: z
    .enum(['true', 'false'], { error: 'must be true or false, given once' })
    .default('false')
    .transform((v) => v === 'true'),
});

/** `GET /key/info?key=`: a key or its hash, once. */
export const keyInfoQuerySchema = z.looseObject({ key: queryText('a key or its hash').optional() });
