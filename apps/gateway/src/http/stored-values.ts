import { z } from 'zod';

/**
 * zod pieces for values that end up in a Postgres query, so a value Postgres would refuse is a
 * 400 naming the field instead of a failed query (a 500): text and jsonb hold no NUL character,
 * integer columns stop at 2^31 - 1, timestamps need a year JS and Postgres both hold.
 */

export const MAX_INT4 = 2_147_483_647;

// Timestamps the API accepts: years 1 to 9999, where JS dates, ISO strings and Postgres agree.
const FIRST_DAY = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_DAY = new Date('9999-12-31T23:59:59.999Z').getTime();

/** True when a string anywhere in the value (object keys too) holds a NUL character. */
export function containsNul(value: unknown): boolean {
  // A stack rather than recursion: however deep the value, this cannot overflow.
  const pending: unknown[] = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes('\u0000')) return true;
    } else if (next !== null && typeof next === 'object') {
      for (const [k, v] of Object.entries(next)) {
        if (k.includes('\u0000')) return true;
        pending.push(v);
      }
    }
  }
  return false;
}

/** A string Postgres can store and compare: no NUL character. */
export function storedText(error = 'must be a string') {
  return z.string({ error }).refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
}

/** A query-string date (`2026-11-01`, `2026-11-01T12:00:00Z`) between years 1 and 9999. */
export const queryDate = z.string({ error: 'must be one date such as 2026-11-01 or 2026-11-01T12:00:00Z' }).transform((d, ctx) => {
  const ms = Date.parse(d);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be a date such as 2026-11-01 or 2026-11-01T12:00:00Z' });
    return z.NEVER;
  }
  if (ms < FIRST_DAY || ms > LAST_DAY) {
    ctx.addIssue({ code: 'custom', message: 'must be between the years 1 and 9999' });
    return z.NEVER;
  }
  return new Date(ms);
});

/** One string from a query string: a repeated parameter (`?key=a&key=b`) arrives as an array and is refused. */
export function queryText(what = 'a string') {
  return storedText(`must be ${what}, given once`).pipe(z.string().min(1, 'must not be empty'));
}

/** An integer from a query string (`?limit=20`), within bounds. */
export function queryInt(min: number, max: number, defaultValue: number) {
  return z
    .string({ error: 'must be a number, given once' })
    .optional()
    .transform((v) => (v === undefined ? defaultValue : Number(v)))
    .pipe(z.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}
