import IORedis from 'ioredis';
import type { ChatStreamEvent } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { RETENTION } from '../chat-job.options';
import { StreamWriter } from './stream-writer';

const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});

// Against the real Redis: what matters is which keys exist and when they expire.
describe('StreamWriter', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it('gives the stream an expiry with every write, also one that comes after the reader deleted it', async () => {
    const writer = new StreamWriter(redis, `${prefix}:q:events:r1`);
    await writer.write(chunk('a'));
    await writer.write(chunk('b'));
    // The client hung up: the gateway deleted the stream while the worker was still writing.
    await redis.del(writer.key);
    await writer.write(chunk('c'));
    expect(await redis.xlen(writer.key)).toBe(1);
    const ttl = await redis.ttl(writer.key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETENTION.callStreamSeconds);
  });

  it('discards the stream of a cancelled call', async () => {
    const writer = new StreamWriter(redis, `${prefix}:q:events:r2`);
    await writer.write(chunk('a'));
    await writer.discard();
    expect(await redis.exists(writer.key)).toBe(0);
  });
});
