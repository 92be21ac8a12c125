/** LiteLLM's durations: a whole number and a unit — `s`, `m`, `h`, `d`, `w`, or `mo` (calendar months). */
const DURATION = /^(\d{1,12})(s|m|h|d|w|mo)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
/** The longest month, for checking a duration's length before any date is known. */
const LONGEST_MONTH_MS = 31 * 86400e3;

export function isDuration(value: string): boolean {
  return DURATION.test(value);
}

/** At most how long a duration lasts (a month counted as 31 days): for checking bounds only. */
export function longestMs(duration: string): number {
  const [, count, unit] = parsed(duration);
  return count * (unit === 'mo' ? LONGEST_MONTH_MS : UNIT_MS[unit]);
}

/**
 * When a duration that starts at `from` ends. `mo` counts calendar months in UTC, at the same
 * time of day: from the 31st of January one month ends on the last day of February (28th or
 * 29th), as it would on a calendar.
 */
export function endOf(duration: string, from: Date): Date {
  const [, count, unit] = parsed(duration);
  if (unit !== 'mo') return new Date(from.getTime() + count * UNIT_MS[unit]);
  const monthIndex = from.getUTCMonth() + count;
  const year = from.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = monthIndex % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const end = new Date(from.getTime());
  end.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay));
  return end;
}

function parsed(duration: string): [string, number, string] {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return [match[0], Number(match[1]), match[2]];
}
