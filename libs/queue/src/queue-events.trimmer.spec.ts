import IORedis from 'ioredis';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { RETENTION } from './chat-job.options';
import { QueueEventsTrimmer } from './queue-events.trimmer';

// Against the real Redis: the trim runs as a script on Redis's clock.
describe('QueueEventsTrimmer', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it(`keeps the last ${RETENTION.queueEventsSeconds} s of a queue's events and removes older ones, however few there are`, async () => {
    const key = `${prefix}:chat-openai:events`;
    const [seconds] = await redis.time();
    const at = (ago: number) => `${(Number(seconds) - ago) * 1000}-0`;
    await redis.xadd(key, at(3600), 'event', 'completed', 'returnvalue', '{"completion":"an hour old"}');
    await redis.xadd(key, at(RETENTION.queueEventsSeconds + 5), 'event', 'completed', 'returnvalue', '{"completion":"just too old"}');
    await redis.xadd(key, at(RETENTION.queueEventsSeconds - 5), 'event', 'completed', 'returnvalue', '{"completion":"recent"}');
    await redis.xadd(key, '*', 'event', 'added');

    expect(await new QueueEventsTrimmer(redis, [key, `${prefix}:chat-ollama:events`]).trim()).toBe(2);
    const left = await redis.xrange(key, '-', '+');
    expect(left.map(([, fields]) => fields[1])).toEqual(['completed', 'added']);
    expect(JSON.stringify(left)).not.toContain('old');
  });
});
