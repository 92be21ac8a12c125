import { endOf, isDuration, longestMs } from './durations';

const at = (iso: string) => new Date(iso);

describe('durations', () => {
  it.each([
    ['30s', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:30.000Z'],
    ['15m', '2026-01-01T00:00:00.000Z', '2026-01-01T00:15:00.000Z'],
    ['1h', '2026-01-01T23:30:00.000Z', '2026-01-02T00:30:00.000Z'],
    ['30d', '2026-01-31T12:00:00.000Z', '2026-03-02T12:00:00.000Z'],
    ['2w', '2026-02-20T00:00:00.000Z', '2026-03-06T00:00:00.000Z'],
  ])('%s from %s ends at %s', (duration, from, end) => {
    expect(endOf(duration, at(from)).toISOString()).toBe(end);
  });

  it.each([
    ['1mo', '2026-01-15T08:30:00.000Z', '2026-02-15T08:30:00.000Z', 'the same day next month, same time'],
    ['1mo', '2026-01-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z', 'the last day of a short February'],
    ['1mo', '2028-01-31T10:00:00.000Z', '2028-02-29T10:00:00.000Z', 'the 29th in a leap year'],
    ['1mo', '2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z', 'April has 30 days'],
    ['1mo', '2026-12-31T23:59:59.000Z', '2027-01-31T23:59:59.000Z', 'across the year'],
    ['2mo', '2026-12-31T00:00:00.000Z', '2027-02-28T00:00:00.000Z', 'two months, into February'],
    ['12mo', '2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z', 'a year after a 29th of February'],
    ['25mo', '2026-01-10T00:00:00.000Z', '2028-02-10T00:00:00.000Z', 'more than two years'],
  ])('%s from %s ends at %s: %s', (duration, from, end) => {
    expect(endOf(duration, at(from)).toISOString()).toBe(end);
  });

  it('knows the units LiteLLM takes and nothing else', () => {
    for (const ok of ['30s', '1m', '1h', '1d', '1w', '1mo', '0d']) expect(isDuration(ok)).toBe(true);
    for (const bad of ['1y', '1M', 'mo', '1.5h', ' 1d', '1d ', '-1d', '1mon']) expect(isDuration(bad)).toBe(false);
  });

  it('bounds a month by its longest length', () => {
    expect(longestMs('1mo')).toBe(31 * 86400e3);
    expect(longestMs('2w')).toBe(14 * 86400e3);
  });
});
