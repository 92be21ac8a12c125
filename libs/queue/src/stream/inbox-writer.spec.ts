import IORedis from 'ioredis';
import type { ChatStreamEvent } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { RETENTION } from '../chat-job.options';
import { InboxWriter } from './inbox-writer';

const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});

// Against the real Redis: what a gateway reads is what lands in its inbox, and when it expires.
describe('InboxWriter', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const entries = async (key: string) =>
    (await redis.xrange(key, '-', '+')).map(([, fields]) =>
      Object.fromEntries(fields.map((_, i) => (i % 2 ? undefined : [fields[i], fields[i + 1]])).filter(Boolean) as [string, string][]),
    );
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it('appends events in order without waiting for each, then the result, all naming the call, and gives the inbox an expiry', async () => {
    const key = `${prefix}:inbox:g1`;
    const writer = new InboxWriter(redis, key, 'chat-test', 'call-1');
    // Written in one go, as an upstream's buffered chunks are: nothing waits for Redis in between.
    for (const part of ['a', 'b', 'c']) writer.write(chunk(part));
    expect(writer.eventsWritten).toBe(3);
    await writer.finish({ v: 2, usage: null, upstreamLatencyMs: 1 });
    const written = await entries(key);
    expect(written.map((e) => [e.q, e.c, e.t])).toEqual([
      ['chat-test', 'call-1', 'e'],
      ['chat-test', 'call-1', 'e'],
      ['chat-test', 'call-1', 'e'],
      ['chat-test', 'call-1', 'r'],
    ]);
    expect(written.slice(0, 3).map((e) => JSON.parse(e.d) as ChatStreamEvent)).toEqual([chunk('a'), chunk('b'), chunk('c')]);
    expect(JSON.parse(written[3].d)).toEqual({ v: 2, usage: null, upstreamLatencyMs: 1 });
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(RETENTION.inboxSeconds * 1000);
  });

  it('keeps the order of events written while an earlier write is on its way', async () => {
    const key = `${prefix}:inbox:g2`;
    const writer = new InboxWriter(redis, key, 'chat-test', 'call-2');
    for (let i = 0; i < 50; i++) {
      writer.write(chunk(String(i)));
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await writer.flush();
    const written = await entries(key);
    expect(written.map((e) => (JSON.parse(e.d) as { chunk: { choices: { delta: { content: string } }[] } }).chunk.choices[0].delta.content)).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
  });

  it('sends a failure as the worker encoded it, and sets the started marker with the first write', async () => {
    const key = `${prefix}:inbox:g3`;
    const started = `${prefix}:chat-test:started:call-3`;
    const writer = new InboxWriter(redis, key, 'chat-test', 'call-3', started);
    writer.write(chunk('a'));
    await writer.fail('switchyard-error:{"x":1}');
    expect((await entries(key)).map((e) => [e.t, e.d])).toEqual([
      ['e', JSON.stringify(chunk('a'))],
      ['f', 'switchyard-error:{"x":1}'],
    ]);
    expect(await redis.ttl(started)).toBeGreaterThan(0);
  });

  it("keeps each call's order when the calls of a process write in the same turns, and fails only the call Redis refused", async () => {
    const key = `${prefix}:inbox:g5`;
    const broken = `${prefix}:not-a-stream-either`;
    await redis.set(broken, 'x');
    const one = new InboxWriter(redis, key, 'chat-test', 'call-5');
    const two = new InboxWriter(redis, key, 'chat-test', 'call-6');
    const refused = new InboxWriter(redis, broken, 'chat-test', 'call-7');
    for (let i = 0; i < 20; i++) {
      one.write(chunk(`1-${i}`));
      refused.write(chunk(`x-${i}`));
      two.write(chunk(`2-${i}`));
      if (i % 6 === 0) await new Promise((r) => setImmediate(r));
    }
    await expect(refused.flush()).rejects.toThrow(/WRONGTYPE/);
    await Promise.all([one.finish({ v: 2, usage: null, upstreamLatencyMs: 5 }), two.finish({ v: 2, usage: null, upstreamLatencyMs: 6 })]);
    const written = await entries(key);
    const of = (callId: string) =>
      written
        .filter((e) => e.c === callId)
        .map((e) => (e.t === 'e' ? (JSON.parse(e.d) as { chunk: { choices: { delta: { content: string } }[] } }).chunk.choices[0].delta.content : e.t));
    expect(of('call-5')).toEqual([...Array.from({ length: 20 }, (_, i) => `1-${i}`), 'r']);
    expect(of('call-6')).toEqual([...Array.from({ length: 20 }, (_, i) => `2-${i}`), 'r']);
  });

  it('reports a write that failed when flushed', async () => {
    const key = `${prefix}:not-a-stream`;
    await redis.set(key, 'x');
    const writer = new InboxWriter(redis, key, 'chat-test', 'call-4');
    writer.write(chunk('a'));
    await expect(writer.flush()).rejects.toThrow(/WRONGTYPE/);
  });
});
