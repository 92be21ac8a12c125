import { parseWorkerName, percentile, workerName } from './queue-status';

describe('queue status helpers', () => {
  it('reads back the app and concurrency a worker consumes a queue under, from its Redis connection name', () => {
    const raw = `switchyard-test:Y2hhdC1vcGVuYWk=:w:${workerName('worker-openai', 32)}`;
    expect(parseWorkerName(raw)).toEqual({ name: 'worker-openai', concurrency: 32 });
  });

  it('names a worker of another program, or one without a name, without a concurrency', () => {
    expect(parseWorkerName('bull:Y2hhdC1vcGVuYWk=:w:reporting')).toEqual({ name: 'reporting', concurrency: null });
    expect(parseWorkerName('bull:Y2hhdC1vcGVuYWk=')).toEqual({ name: 'unnamed', concurrency: null });
  });

  it('takes percentiles by nearest rank, and none of nothing', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99)]).toEqual([50, 90, 99]);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });
});
