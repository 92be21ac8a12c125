import { BatchLoader } from './batch-loader';

describe('BatchLoader', () => {
  it('answers a burst of lookups with a few queries, each value to its own caller', async () => {
    const queries: string[][] = [];
    const loader = new BatchLoader<string>(
      async (keys) => {
        queries.push(keys);
        await new Promise((r) => setTimeout(r, 5));
        return new Map(keys.filter((k) => k.startsWith('real')).map((k) => [k, `value of ${k}`]));
      },
      { maxInFlight: 2, maxBatch: 100, minGapMs: 0 },
    );
    const keys = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? `real-${i}` : `unknown-${i}`));
    const values = await Promise.all([...keys, 'unknown-1', 'real-0'].map((k) => loader.load(k)));
    expect(values.slice(0, 3)).toEqual(['value of real-0', undefined, undefined]);
    expect(values.at(-1)).toBe('value of real-0');
    expect(values.filter(Boolean)).toHaveLength(11);
    // Two started alone; every other lookup waited for a slot and went in a batch of up to 100.
    expect(queries.length).toBeLessThanOrEqual(2 + Math.ceil(998 / 100));
    expect(queries.flat().sort()).toEqual([...new Set(keys)].sort());
  });

  it('starts queries at least minGapMs apart, so lookups that trickle in share them', async () => {
    const starts: number[] = [];
    const loader = new BatchLoader<string>(
      async (keys) => {
        starts.push(Date.now());
        return new Map(keys.map((k) => [k, k]));
      },
      { maxInFlight: 2, maxBatch: 100, minGapMs: 50 },
    );
    const lookups: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      lookups.push(loader.load(`k${i}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(lookups)).toEqual(Array.from({ length: 40 }, (_, i) => `k${i}`));
    // 40 lookups 5 ms apart over about 200 ms: a handful of queries, never two within the gap.
    expect(starts.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(49);
  });

  it('fails every lookup of a batch whose query failed, and keeps serving later ones', async () => {
    let fail = true;
    const loader = new BatchLoader<string>(
      async (keys) => {
        if (fail) throw new Error('down');
        return new Map(keys.map((k) => [k, k]));
      },
      { maxInFlight: 1, maxBatch: 10, minGapMs: 0 },
    );
    await expect(Promise.all([loader.load('a'), loader.load('b')])).rejects.toThrow('down');
    fail = false;
    expect(await loader.load('a')).toBe('a');
  });
});
