import IORedis from 'ioredis';
import type { ChatJobResult, ChatStreamEvent } from '@app/contracts';
import { SwitchyardError, encodeWireError } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, eventually, uniquePrefix } from '@test/support';
import { InboxWriter } from '../stream/inbox-writer';
import { Inbox } from './inbox';
import { ResultWaiters } from './result-waiters';

const chunk = (content: string): ChatStreamEvent => ({
  t: 'chunk',
  chunk: { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] },
});
const result = (latency: number): ChatJobResult => ({ v: 2, usage: null, upstreamLatencyMs: latency });

// Against the real Redis, with the workers' writer: each call gets its own entries, whatever else is in the inbox.
describe('Inbox', () => {
  const prefix = uniquePrefix();
  const key = `${prefix}:inbox:gateway-1`;
  const blocking = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const control = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const waiters = new ResultWaiters();
  const inbox = new Inbox(key, blocking, control, waiters);
  const outcome = (queue: string, callId: string) =>
    new Promise<ChatJobResult | SwitchyardError>((resolve) =>
      waiters.wait(queue, callId, Date.now() + 10_000, { resolve, reject: resolve }, () => resolve(new SwitchyardError('timeout', 'late'))),
    );

  beforeAll(() => inbox.start());
  afterAll(async () => {
    await inbox.close();
    await deleteRedisPrefix(prefix);
    await Promise.all([blocking.quit(), control.quit()]);
  });

  it("hands interleaved calls' events to their own subscribers in order, and each outcome to its own waiter", async () => {
    const seen: Record<string, ChatStreamEvent[]> = { one: [], two: [] };
    inbox.subscribe('chat-a', 'one', (events) => seen.one.push(...events));
    inbox.subscribe('chat-b', 'two', (events) => seen.two.push(...events));
    const [first, second] = [outcome('chat-a', 'one'), outcome('chat-b', 'two')];
    const one = new InboxWriter(control, key, 'chat-a', 'one');
    const two = new InboxWriter(control, key, 'chat-b', 'two');
    for (const part of ['a', 'b', 'c']) {
      one.write(chunk(`1${part}`));
      two.write(chunk(`2${part}`));
    }
    one.write({ t: 'end', usage: null });
    await one.finish(result(1));
    await two.fail(encodeWireError(new SwitchyardError('upstream_error', 'the upstream broke off').toWire()));
    expect(await first).toEqual(result(1));
    expect(await second).toMatchObject({ code: 'upstream_error', message: 'the upstream broke off' });
    expect(seen.one).toEqual([chunk('1a'), chunk('1b'), chunk('1c'), { t: 'end', usage: null }]);
    expect(seen.two).toEqual([chunk('2a'), chunk('2b'), chunk('2c')]);
  });

  it('drops entries of calls nobody here waits for (a client that hung up), and deletes what it read', async () => {
    const seen: ChatStreamEvent[] = [];
    inbox.subscribe('chat-a', 'three', (events) => seen.push(...events));
    inbox.unsubscribe('chat-a', 'three');
    const gone = new InboxWriter(control, key, 'chat-a', 'three');
    gone.write(chunk('x'));
    await gone.finish(result(2));
    const later = outcome('chat-a', 'four');
    await new InboxWriter(control, key, 'chat-a', 'four').finish(result(4));
    expect(await later).toEqual(result(4));
    expect(seen).toEqual([]);
    expect(
      await eventually(
        () => control.xlen(key),
        (n) => n === 0,
      ),
    ).toBe(0);
  });

  it('turns a failure that is not a worker-encoded error into a plain 502', async () => {
    const failed = outcome('chat-a', 'five');
    await new InboxWriter(control, key, 'chat-a', 'five').fail('job stalled more than allowable limit');
    expect(await failed).toMatchObject({ code: 'upstream_error', status: 502, message: 'the worker could not complete the call' });
  });
});
