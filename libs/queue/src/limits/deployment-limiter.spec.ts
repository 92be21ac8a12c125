import IORedis from 'ioredis';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import { type AdmissionRequest, DeploymentLimiter, LEASE_MS, LIMIT_WINDOW_MS } from './deployment-limiter';

// Against the real Redis: the limits are Lua scripts, and what matters is what Redis does with them.
describe('DeploymentLimiter', () => {
  const prefix = uniquePrefix();
  const connections: IORedis[] = [];
  const limiters: DeploymentLimiter[] = [];
  let deployment = 0;
  const t0 = Date.now();

  const newLimiter = () => {
    const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    const limiter = new DeploymentLimiter(redis, prefix);
    limiters.push(limiter);
    return limiter;
  };
  let limiter: DeploymentLimiter;
  let request: (jobId: string, limits: AdmissionRequest['limits'], estimate?: number) => AdmissionRequest;

  beforeEach(() => {
    limiter = newLimiter();
    const deploymentId = `d${++deployment}`;
    request = (jobId, limits, estimate = 10) => ({ deploymentId, limits, jobId, estimate, deadline: t0 + 600_000 });
  });
  afterAll(async () => {
    limiters.forEach((l) => l.close());
    await Promise.all(connections.map((c) => c.quit()));
    await deleteRedisPrefix(prefix);
  });

  it('admits rpm calls per sliding minute and says when the next one fits', async () => {
    const rpm = { rpm: 3 };
    for (const [i, at] of [0, 1_000, 2_000].entries()) expect((await limiter.acquire(request(`j${i}`, rpm), t0 + at)).kind).toBe('admitted');
    expect(await limiter.acquire(request('j3', rpm), t0 + 10_000)).toEqual({ kind: 'limited', until: t0 + LIMIT_WINDOW_MS, limit: 'rpm' });
    expect((await limiter.acquire(request('j3', rpm), t0 + LIMIT_WINDOW_MS - 1)).kind).toBe('limited');
    expect((await limiter.acquire(request('j3', rpm), t0 + LIMIT_WINDOW_MS)).kind).toBe('admitted');
    // The second call is still in the window, so one slot only opened.
    expect(await limiter.acquire(request('j4', rpm), t0 + LIMIT_WINDOW_MS)).toMatchObject({ kind: 'limited', until: t0 + 1_000 + LIMIT_WINDOW_MS });
  });

  it('counts tpm by estimate until a call ends, then by its usage', async () => {
    const tpm = { tpm: 100 };
    const first = await limiter.acquire(request('a', tpm, 40), t0);
    expect((await limiter.acquire(request('b', tpm, 40), t0 + 1)).kind).toBe('admitted');
    expect(await limiter.acquire(request('c', tpm, 40), t0 + 2)).toEqual({ kind: 'limited', until: t0 + LIMIT_WINDOW_MS, limit: 'tpm' });
    if (first.kind !== 'admitted') throw new Error('expected the first call to be admitted');
    await limiter.release(first.slot, 10, t0 + 3);
    expect((await limiter.acquire(request('c', tpm, 40), t0 + 4)).kind).toBe('admitted');
    expect((await limiter.load(request('x', tpm).deploymentId, t0 + 5)).tokensInWindow).toBe(90);
  });

  it('refuses a call that alone needs more than the tpm', async () => {
    expect(await limiter.acquire(request('big', { tpm: 100 }, 101), t0)).toEqual({ kind: 'too_large', tpm: 100 });
  });

  it('caps calls in flight, parks the others and hands the freed slot to the parked job with the earliest deadline', async () => {
    const cap = { maxParallelRequests: 2 };
    const a = await limiter.acquire(request('a', cap), t0);
    await limiter.acquire(request('b', cap), t0);
    expect(await limiter.acquire({ ...request('late', cap), deadline: t0 + 9_000 }, t0)).toEqual({ kind: 'busy' });
    expect(await limiter.acquire({ ...request('early', cap), deadline: t0 + 5_000 }, t0)).toEqual({ kind: 'busy' });
    expect(await limiter.load(request('x', cap).deploymentId, t0)).toMatchObject({ inFlight: 2, parked: 2 });
    if (a.kind !== 'admitted') throw new Error('expected admission');
    expect(await limiter.release(a.slot, undefined, t0 + 1)).toBe('early');
    expect((await limiter.acquire(request('early', cap), t0 + 2)).kind).toBe('admitted');
    expect(await limiter.load(request('x', cap).deploymentId, t0 + 2)).toMatchObject({ inFlight: 2, parked: 1 });
  });

  it('holds across limiters on separate connections: of 20 simultaneous calls, exactly the cap gets in', async () => {
    const others = Array.from({ length: 4 }, newLimiter);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => others[i % others.length].acquire(request(`p${i}`, { maxParallelRequests: 5, rpm: 7 }))),
    );
    expect(results.filter((r) => r.kind === 'admitted')).toHaveLength(5);
    expect(results.filter((r) => r.kind === 'busy')).toHaveLength(15);
  });

  it('frees the slot of a worker that stopped renewing its lease, and lets a re-run job take its own slot over', async () => {
    const cap = { maxParallelRequests: 1 };
    expect((await limiter.acquire(request('crashed', cap), t0)).kind).toBe('admitted');
    expect((await limiter.acquire(request('other', cap), t0 + 1)).kind).toBe('busy');
    expect((await limiter.acquire(request('crashed', cap), t0 + 2)).kind).toBe('admitted');
    expect((await limiter.acquire(request('other', cap), t0 + 2 + LEASE_MS)).kind).toBe('admitted');
  });

  it('holds every call of a paused deployment until the pause ends, and only lengthens a pause', async () => {
    const { deploymentId } = request('x', {});
    expect(await limiter.pause(deploymentId, t0 + 1_500, t0)).toBe(t0 + 1_500);
    expect(await limiter.pause(deploymentId, t0 + 1_000, t0 + 10)).toBe(t0 + 1_500);
    expect(await limiter.acquire(request('a', {}), t0 + 100)).toEqual({ kind: 'paused', until: t0 + 1_500 });
    expect((await limiter.acquire(request('a', {}), t0 + 1_500)).kind).toBe('admitted');
  });

  it('keeps deployments apart', async () => {
    const cap = { maxParallelRequests: 1, rpm: 1 };
    const mine = request('a', cap);
    expect((await limiter.acquire(mine, t0)).kind).toBe('admitted');
    await limiter.pause(mine.deploymentId, t0 + 5_000, t0);
    expect((await limiter.acquire({ ...mine, deploymentId: `${mine.deploymentId}-other`, jobId: 'b' }, t0)).kind).toBe('admitted');
  });

  it('reports load for a router in one read', async () => {
    const limits = { tpm: 1_000 };
    const { deploymentId } = request('x', limits);
    await limiter.acquire(request('a', limits, 30), t0);
    const b = await limiter.acquire(request('b', limits, 20), t0 + 1);
    if (b.kind !== 'admitted') throw new Error('expected admission');
    await limiter.release(b.slot, 5, t0 + 2);
    expect(await limiter.load(deploymentId, t0 + 3)).toEqual({ inFlight: 1, requestsInWindow: 2, tokensInWindow: 35, pausedUntil: 0, parked: 0 });
  });
});
