import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { SwitchyardError } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { DEPTH_TTL_MS, QueueGuards } from './queue-guards';
import type { QueueTarget } from './queue-target';

// Against the real Redis and a real (paused) BullMQ worker; the guards' clock is the test's.
describe('QueueGuards', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const name = 'chat-guarded';
  const target: QueueTarget = { queue: name, maxDepth: 3, startHint: 'start worker-test' };
  let queue: Queue;
  let worker: Worker;
  let now = 1_000_000;
  const guards = new QueueGuards(() => now);
  const refusal = (run: Promise<void>) =>
    run.then(
      () => undefined,
      (err: SwitchyardError) => err,
    );

  beforeAll(async () => {
    queue = new Queue(name, { connection: redis, prefix });
    worker = new Worker(name, () => new Promise(() => undefined), { connection: redis, prefix });
    await worker.waitUntilReady();
    await worker.pause(true);
    await queue.add('chat', {}, { jobId: 'a' });
    await queue.add('chat', {}, { jobId: 'b' });
  });
  afterAll(async () => {
    await worker.close(true);
    await queue.close();
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it('reads the depth once for checks made together, counts the calls it admitted, and reads again once the reading is old', async () => {
    const reads = jest.spyOn(queue, 'getJobCounts');
    // Two waiting, limit 3: of two calls checked at once, one fits.
    const [first, second] = await Promise.all([refusal(guards.check(queue, target)), refusal(guards.check(queue, target))]);
    expect([first, second].filter((e) => e === undefined)).toHaveLength(1);
    expect([first, second].find((e) => e !== undefined)).toMatchObject({ code: 'queue_full', status: 429, retryAfterMs: 2000 });
    expect(reads).toHaveBeenCalledTimes(1);
    // Within the reading's life, the admitted call counts without asking Redis.
    expect(await refusal(guards.check(queue, target))).toMatchObject({ code: 'queue_full' });
    expect(reads).toHaveBeenCalledTimes(1);
    // Calls left the queue; once the reading is old, the depth is read again.
    await queue.remove('a');
    await queue.remove('b');
    now += DEPTH_TTL_MS;
    expect(await refusal(guards.check(queue, target))).toBeUndefined();
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
