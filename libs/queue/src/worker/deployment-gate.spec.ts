import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { CHAT_JOB_VERSION, type ChatJobPayload, SwitchyardError } from '@app/contracts';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { chatJobOptions } from '../chat-job.options';
import { DeploymentLimiter, PAUSE_READ_MS } from '../limits/deployment-limiter';
import { DEFAULT_UPSTREAM_PAUSE_MS, DeploymentGate } from './deployment-gate';

// Against the real Redis and BullMQ: the gate moves jobs between BullMQ's lists, and that is what matters.
describe('DeploymentGate', () => {
  const prefix = uniquePrefix();
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let queue: Queue<ChatJobPayload>;
  let worker: Worker<ChatJobPayload>;
  const limiter = new DeploymentLimiter(redis, prefix);
  const warnings: string[] = [];
  const gate = new DeploymentGate(limiter, { warn: (m) => warnings.push(m) });
  let n = 0;

  /** A job added and taken by this "worker": active, locked with `token`. */
  async function take(fields: Partial<ChatJobPayload> = {}): Promise<{ job: Job<ChatJobPayload>; token: string }> {
    const callId = `call-${++n}`;
    const now = Date.now();
    const payload: ChatJobPayload = {
      v: CHAT_JOB_VERSION,
      callId,
      deploymentId: 'd',
      modelName: 'm',
      request: { model: 'm', messages: [] },
      stream: false,
      deadline: now + 30_000,
      enqueuedAt: now,
      ...fields,
    };
    await queue.add('chat', payload, chatJobOptions(callId));
    const token = `token-${n}`;
    const job = await worker.getNextJob(token, { block: false });
    if (!job || job.id !== callId) throw new Error(`expected to take ${callId}`);
    return { job, token };
  }
  const thrown = (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (err: unknown) => err,
    );
  const deployment = (id: string, limits: { rpm?: number; tpm?: number; maxParallelRequests?: number } = {}) => ({ id, ...limits });

  // A queue of its own per test. Manual fetching: each test takes jobs itself, holding BullMQ's lock as a worker does.
  beforeEach(() => {
    queue = new Queue<ChatJobPayload>(`chat-gate-${n}`, { connection: redis, prefix });
    worker = new Worker<ChatJobPayload>(queue.name, null, { connection: redis, prefix, autorun: false });
  });
  afterEach(async () => {
    await worker.close(true);
    await queue.close();
  });
  afterAll(async () => {
    limiter.close();
    await deleteRedisPrefix(prefix);
    await redis.quit();
  });

  it('lets a call to a deployment with a limit through with a slot, and counts it in flight until it leaves', async () => {
    const gated = await take();
    const slot = await gate.enter(gated, deployment('metered', { rpm: 1_000 }), 10);
    expect(slot).toMatchObject({ deploymentId: 'metered', jobId: gated.job.data.callId });
    expect((await limiter.load('metered')).inFlight).toBe(1);
    await gate.leave(slot, 12, queue);
    expect((await limiter.load('metered')).inFlight).toBe(0);
    expect((await limiter.load('metered')).tokensInWindow).toBe(12);
  });

  it('lets a call to a deployment without limits through without writing anything to Redis', async () => {
    const gated = await take();
    const keysBefore = await redis.keys(`${prefix}:deployment:free:*`);
    const slot = await gate.enter(gated, deployment('free'), 10);
    expect(slot).toMatchObject({ deploymentId: 'free', jobId: gated.job.data.callId, metered: false });
    await gate.leave(slot, 12, queue);
    expect(await redis.keys(`${prefix}:deployment:free:*`)).toEqual(keysBefore);
    expect(await limiter.load('free')).toMatchObject({ inFlight: 0, requestsInWindow: 0, tokensInWindow: 0 });
  });

  it('parks a call while max_parallel_requests are in flight, freeing its worker slot, and wakes it when one leaves', async () => {
    const first = await take();
    const slot = await gate.enter(first, deployment('one-at-a-time', { maxParallelRequests: 1 }), 1);
    const second = await take();
    expect(await thrown(gate.enter(second, deployment('one-at-a-time', { maxParallelRequests: 1 }), 1))).toBeInstanceOf(DelayedError);
    expect(await second.job.getState()).toBe('delayed');

    await gate.leave(slot, undefined, queue);
    // Promoted at once, not at its recheck time.
    expect(await queue.getJobState(second.job.id!)).toBe('waiting');
  });

  it('fails a call its deployment could take only after its deadline with 429 and Retry-After', async () => {
    const limits = deployment('rpm-1', { rpm: 1 });
    const first = await take();
    await gate.leave(await gate.enter(first, limits, 1), undefined, queue);
    const late = await take({ deadline: Date.now() + 5_000 });
    const error = await thrown(gate.enter(late, limits, 1));
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: 'rate_limit_exceeded', status: 429 });
    expect((error as SwitchyardError).message).toContain('at its rpm limit');
    expect((error as SwitchyardError).retryAfterMs).toBeGreaterThan(5_000);
  });

  it('puts a call that fits before its deadline back to wait for its rpm', async () => {
    const limits = deployment('rpm-1-later', { rpm: 1 });
    await gate.leave(await gate.enter(await take(), limits, 1), undefined, queue);
    const patient = await take({ deadline: Date.now() + 120_000 });
    expect(await thrown(gate.enter(patient, limits, 1))).toBeInstanceOf(DelayedError);
    expect(await patient.job.getState()).toBe('delayed');
  });

  it("refuses a call that alone needs more than the deployment's tpm", async () => {
    const error = await thrown(gate.enter(await take(), deployment('tiny', { tpm: 100 }), 500));
    expect(error).toMatchObject({ code: 'tokens_over_limit', message: 'this call needs about 500 tokens, more than the tpm limit (100) of model "m"' });
  });

  it("pauses the deployment after the upstream's 429 for its Retry-After, and puts the call back to wait", async () => {
    const gated = await take();
    const upstream = new SwitchyardError('rate_limit_exceeded', 'openai upstream: slow down', { retryable: true, retryAfterMs: 3_000 });
    const before = Date.now();
    expect(await thrown(gate.pauseFor(gated, 'paused', upstream))).toBeInstanceOf(DelayedError);
    const { pausedUntil } = await limiter.load('paused');
    expect(pausedUntil).toBeGreaterThanOrEqual(before + 3_000);
    expect(await gated.job.getState()).toBe('delayed');
    // Without Retry-After: a second.
    const other = await take();
    await thrown(gate.pauseFor(other, 'paused-default', new SwitchyardError('rate_limit_exceeded', 'x', { retryable: true })));
    expect((await limiter.load('paused-default')).pausedUntil - Date.now()).toBeLessThanOrEqual(DEFAULT_UPSTREAM_PAUSE_MS);
  });

  it('holds the calls of a deployment without limits while it is paused: at once on this worker, within 2 × PAUSE_READ_MS on another', async () => {
    const upstream = new SwitchyardError('rate_limit_exceeded', 'openai upstream: slow down', { retryable: true, retryAfterMs: 5_000 });
    const other = new DeploymentLimiter(redis, prefix);
    const otherGate = new DeploymentGate(other, { warn: (m) => warnings.push(m) });
    try {
      // The other worker has already sent a call there, so it holds a reading from before the pause.
      await otherGate.leave(await otherGate.enter(await take(), deployment('shared-free'), 1), undefined, queue);
      expect(await thrown(gate.pauseFor(await take(), 'shared-free', upstream))).toBeInstanceOf(DelayedError);
      const here = await take();
      expect(await thrown(gate.enter(here, deployment('shared-free'), 1))).toBeInstanceOf(DelayedError);
      expect(await here.job.getState()).toBe('delayed');

      // After a quiet spell longer than 2 × PAUSE_READ_MS, the other worker's next call waits for a fresh reading and is held.
      await new Promise((resolve) => setTimeout(resolve, 2 * PAUSE_READ_MS + 50));
      const there = await take();
      expect(await thrown(otherGate.enter(there, deployment('shared-free'), 1))).toBeInstanceOf(DelayedError);
      expect(await there.job.getState()).toBe('delayed');
    } finally {
      other.close();
    }
  });

  it('never throws when it cannot free a slot: the lease expires by itself', async () => {
    const broken = new DeploymentGate({ release: () => Promise.reject(new Error('Redis away')) } as unknown as DeploymentLimiter, {
      warn: (m) => warnings.push(m),
    });
    await expect(broken.leave({ deploymentId: 'd', jobId: 'j', entryId: 'e', metered: true }, 1, queue)).resolves.toBeUndefined();
    expect(warnings.at(-1)).toBe('could not free a slot of deployment d: Redis away');
  });
});
