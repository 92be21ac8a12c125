import IORedis from 'ioredis';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { QUEUE_WAIT_FLUSH_MS, QUEUE_WAIT_SAMPLES, QueueWaitRecorder, parseWorkerName, percentile, queueWaitsKey, workerName } from './queue-status';

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

describe('QueueWaitRecorder', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it("keeps each queue's latest waits, newest first, written together a moment later", async () => {
    const recorder = new QueueWaitRecorder(redis, prefix);
    const key = queueWaitsKey(prefix, 'chat-a');
    for (let ms = 1; ms <= QUEUE_WAIT_SAMPLES + 5; ms++) recorder.record('chat-a', ms + 0.4);
    recorder.record('chat-b', -3);
    expect(await redis.llen(key)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, QUEUE_WAIT_FLUSH_MS + 100));
    const waits = (await redis.lrange(key, 0, -1)).map(Number);
    expect(waits).toHaveLength(QUEUE_WAIT_SAMPLES);
    expect(waits.slice(0, 2)).toEqual([QUEUE_WAIT_SAMPLES + 5, QUEUE_WAIT_SAMPLES + 4]);
    expect(waits.at(-1)).toBe(6);
    expect(await redis.lrange(queueWaitsKey(prefix, 'chat-b'), 0, -1)).toEqual(['0']);
    expect(await redis.pttl(key)).toBeGreaterThan(0);

    recorder.record('chat-a', 7);
    await recorder.flush();
    expect(await redis.lindex(key, 0)).toBe('7');
    expect(await redis.llen(key)).toBe(QUEUE_WAIT_SAMPLES);
  });
});
