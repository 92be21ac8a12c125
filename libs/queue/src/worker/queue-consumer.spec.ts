import { Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import type { ChatJobPayload, ChatJobResult } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { chatJobOptions } from '../chat-job.options';
import { streamKeys } from '../stream/stream-keys';
import type { JobTurn } from './job-runner';
import { QueueConsumer } from './queue-consumer';
import { stoppedByWorker } from './running-jobs';

const RESULT: ChatJobResult = { v: 2, usage: null, upstreamLatencyMs: 0 };
const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A runner whose jobs on `slowQueue` run until released (or cut off); the others end at once. */
class FakeRunner {
  readonly running = new Map<string, JobTurn>();
  mostAtOnce = 0;
  private release!: () => void;
  private released = new Promise<void>((r) => (this.release = r));

  constructor(private readonly slowQueue: string) {}

  async run(turn: JobTurn): Promise<ChatJobResult> {
    if (turn.queue.name !== this.slowQueue) return RESULT;
    this.running.set(turn.job.data.callId, turn);
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running.size);
    const cut = new Promise<void>((r) => turn.cancel.signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([this.released, cut]);
    this.running.delete(turn.job.data.callId);
    return RESULT;
  }

  releaseAll(): void {
    this.release();
  }
}

// Against the real Redis and BullMQ: slots are BullMQ workers' concurrency, and that is what is tested.
describe('QueueConsumer', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let n = 0;
  let consumer: QueueConsumer;
  let runner: FakeRunner;
  let queues: Record<'slow' | 'fast', Queue>;
  let names: Record<'slow' | 'fast', string>;

  beforeEach(async () => {
    n++;
    names = { slow: `chat-slow${n}`, fast: `chat-fast${n}` };
    runner = new FakeRunner(names.slow);
    consumer = new QueueConsumer({
      name: 'worker-test',
      redisUrl: TEST_REDIS_URL,
      prefix,
      connection: redis,
      replies: redis,
      queues: [
        { backend: `slow${n}`, queue: names.slow, concurrency: 2 },
        { backend: `fast${n}`, queue: names.fast, concurrency: 2 },
      ],
      runner,
    });
    queues = { slow: new Queue(names.slow, { connection: redis, prefix }), fast: new Queue(names.fast, { connection: redis, prefix }) };
    await consumer.start();
  });
  afterEach(async () => {
    runner.releaseAll();
    await consumer.close();
    await Promise.all(Object.values(queues).map((q) => q.close()));
  });
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  const add = (queue: Queue, callId: string) => queue.add('chat', { callId } as ChatJobPayload, chatJobOptions(callId));

  it("runs each backend's jobs in slots of its own: a full slow queue leaves the other's calls running at once", async () => {
    for (let i = 0; i < 5; i++) await add(queues.slow, `slow-${i}`);
    await until(() => runner.running.size === 2);
    const listening = redis.duplicate();
    const events = new QueueEvents(names.fast, { connection: listening, prefix });
    await events.waitUntilReady();
    try {
      const job = await add(queues.fast, 'fast-1');
      await expect(job.waitUntilFinished(events, 2_000)).resolves.toEqual(RESULT);
    } finally {
      await events.close();
      await listening.quit();
    }
    // The slow queue's concurrency, never more.
    expect(runner.mostAtOnce).toBe(2);
    expect(await consumer.jobCounts()).toEqual([
      { queue: names.slow, waiting: 3, active: 2, delayed: 0 },
      { queue: names.fast, waiting: 0, active: 0, delayed: 0 },
    ]);
    expect(consumer.isRunning()).toBe(true);
  });

  it('aborts the running call a gateway cancel notice names', async () => {
    await add(queues.slow, 'cancel-me');
    await add(queues.slow, 'keep-me');
    await until(() => runner.running.size === 2);
    const [cancelMe, keepMe] = ['cancel-me', 'keep-me'].map((id) => runner.running.get(id)!.cancel.signal);
    await redis.publish(streamKeys.cancelChannel(prefix), `${names.slow}:cancel-me`);
    await until(() => cancelMe.aborted);
    expect(stoppedByWorker(cancelMe)).toBe(false);
    expect(keepMe.aborted).toBe(false);
  });

  it('on close takes no new job, and cuts off what still runs after the grace period as stopped by the worker', async () => {
    await add(queues.slow, 'in-hand');
    await until(() => runner.running.size === 1);
    const signal = runner.running.get('in-hand')!.cancel.signal;
    const closing = consumer.close(100);
    expect(consumer.isStopping()).toBe(true);
    await closing;
    expect(stoppedByWorker(signal)).toBe(true);
    expect(consumer.isRunning()).toBe(false);
  });
});
