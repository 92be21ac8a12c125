import IORedis from 'ioredis';
import type { GatewayConfig } from '@app/config';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from '@test/support';
import type { KeyRecord } from '../auth/auth-context';
import { type ChatCompletionRequest } from '@app/contracts';
import { type CallReservation, reserveCall } from './call-reservation';
import { KeyLimits } from './key-limits.service';

/** A reservation of `tokens` and `cost` USD. */
const reserve = (tokens: number, cost: number): CallReservation => ({
  promptTokens: 0,
  outputTokens: tokens,
  fromRequest: true,
  tokens,
  cost,
  maxTokensWithin: () => 0,
});
const NONE = reserve(0, 0);
/** Now, well inside a calendar minute, so the releases count in the minute the admissions saw. */
async function inFreshMinute(): Promise<number> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  return Date.now();
}

const key = (fields: Partial<KeyRecord>): KeyRecord => ({
  id: 'key-f',
  token: 'f'.repeat(64),
  keyName: 'sk-...ffff',
  keyAlias: null,
  models: [],
  metadata: {},
  expires: null,
  blocked: false,
  spend: 0,
  maxBudget: null,
  budgetDuration: null,
  budgetResetAt: null,
  rpmLimit: null,
  tpmLimit: null,
  maxParallelRequests: null,
  tags: [],
  ...fields,
});

describe('KeyLimits against real Redis', () => {
  const prefix = uniquePrefix();
  const limits = new KeyLimits({ env: { QUEUE_PREFIX: prefix, REDIS_URL: TEST_REDIS_URL } } as GatewayConfig);
  const redis = new IORedis(TEST_REDIS_URL);

  beforeAll(() => limits.onModuleInit());
  afterAll(async () => {
    await limits.onApplicationShutdown();
    redis.disconnect();
    await deleteRedisPrefix(prefix);
  });

  it('keeps a long call slot alive when a short call is admitted after it', async () => {
    const k = key({ maxParallelRequests: 5 });
    const now = Date.now();
    const long = await limits.admit({ key: k, requestId: 'long', deadline: now + 600_000, reserve: () => NONE }, now);
    const short = await limits.admit({ key: k, requestId: 'short', deadline: now + 2_000, reserve: () => NONE }, now);
    const ttl = await redis.pttl(`${prefix}:limits:{${k.id}}:in-flight`);
    expect(ttl).toBeGreaterThan(590_000);
    await short.release({ tokens: 0, cost: 0 });
    await long.release({ tokens: 0, cost: 0 });
  });

  it('refuses the call over max_parallel_requests and takes one again once a slot is released', async () => {
    const k = key({ id: 'key-e', token: 'e'.repeat(64), maxParallelRequests: 1 });
    const first = await limits.admit({ key: k, requestId: 'a', deadline: Date.now() + 60_000, reserve: () => NONE });
    await expect(limits.admit({ key: k, requestId: 'b', deadline: Date.now() + 60_000, reserve: () => NONE })).rejects.toMatchObject({
      code: 'rate_limit_exceeded',
      status: 429,
    });
    await first.release({ tokens: 0, cost: 0 });
    const again = await limits.admit({ key: k, requestId: 'c', deadline: Date.now() + 60_000, reserve: () => NONE });
    await again.release({ tokens: 0, cost: 0 });
  });

  it('touches no Redis key for a key without limits', async () => {
    const before = await redis.keys(`${prefix}:*`);
    const admission = await limits.admit({
      key: key({ id: 'key-d', token: 'd'.repeat(64) }),
      requestId: 'x',
      deadline: Date.now() + 1000,
      reserve: () => reserve(10, 1),
    });
    expect(admission.headers).toEqual({});
    expect(await redis.keys(`${prefix}:*`)).toEqual(before);
  });

  it('counts the reservations of calls in flight against tpm_limit, and replaces each by its usage at release', async () => {
    const k = key({ id: 'key-c', token: 'c'.repeat(64), tpmLimit: 100 });
    const now = await inFreshMinute();
    const deadline = now + 60_000;
    const a = await limits.admit({ key: k, requestId: 'a', deadline, reserve: () => reserve(40, 0) }, now);
    expect(a.headers['x-ratelimit-remaining-tokens']).toBe('60');
    const b = await limits.admit({ key: k, requestId: 'b', deadline, reserve: () => reserve(40, 0) }, now);
    expect(b.headers['x-ratelimit-remaining-tokens']).toBe('20');
    // 80 reserved: a third call of 40 does not fit, though nothing has been used yet.
    const refused = await limits.admit({ key: k, requestId: 'c', deadline, reserve: () => reserve(40, 0) }, now).catch((e) => e);
    expect(refused).toMatchObject({ code: 'rate_limit_exceeded', status: 429, retryAfterMs: 1000 });
    expect(refused.message).toContain('tpm_limit');
    expect(refused.headers['x-ratelimit-remaining-tokens']).toBe('20');
    // a used 10 of its 40: 10 used + 40 reserved leave room for 50.
    await a.release({ tokens: 10, cost: 0 });
    const c = await limits.admit({ key: k, requestId: 'c', deadline, reserve: () => reserve(50, 0) }, now);
    expect(c.headers['x-ratelimit-remaining-tokens']).toBe('0');
    await b.release({ tokens: 40, cost: 0 });
    await c.release({ tokens: 50, cost: 0 });
    // The minute is spent: 100 used. The refusal now waits for the next minute.
    const full = await limits.admit({ key: k, requestId: 'd', deadline, reserve: () => reserve(1, 0) }, now).catch((e) => e);
    expect(full).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(full.retryAfterMs).toBeGreaterThan(1000);
  });

  it('refuses a call that alone needs more than tpm_limit without asking Redis, naming the max_tokens that would fit', async () => {
    const k = key({ id: 'key-b', token: 'b'.repeat(64), tpmLimit: 100 });
    const before = await redis.keys(`${prefix}:*`);
    const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }] };
    const plan = [
      {
        id: 'd',
        modelName: 'm',
        provider: 'openai',
        wire: 'openai' as const,
        backend: 'openai',
        litellmModel: 'gpt-4o',
        upstreamModel: 'gpt-4o',
        apiBase: '',
        modelInfo: {},
        extraParams: {},
        headers: {},
        shownParams: {},
        source: 't',
      },
    ];
    const refused = await limits.admit({ key: k, requestId: 'x', deadline: Date.now() + 1000, reserve: () => reserveCall(plan, request) }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'tokens_over_limit', status: 429, param: 'max_tokens' });
    expect(refused.message).toContain('16394 tokens');
    expect(refused.message).toContain('set max_tokens to at most 90');
    expect(await redis.keys(`${prefix}:*`)).toEqual(before);
  });

  it('lets a call start only if spend, the reservations in flight and its own fit in max_budget', async () => {
    const k = key({ id: 'key-a', token: 'a'.repeat(64), maxBudget: 1, spend: 0.25 });
    const deadline = Date.now() + 60_000;
    const a = await limits.admit({ key: k, requestId: 'a', deadline, reserve: () => reserve(0, 0.5) });
    const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(40) }] };
    const plan = [
      {
        id: 'd',
        modelName: 'm',
        provider: 'ollama',
        wire: 'ollama' as const,
        backend: 'ollama',
        litellmModel: 'ollama/x',
        upstreamModel: 'x',
        apiBase: '',
        modelInfo: { input_cost_per_token: 0.001, output_cost_per_token: 0.001, max_output_tokens: 1000 },
        extraParams: {},
        headers: {},
        shownParams: {},
        source: 't',
      },
    ];
    // $0.25 spent + $0.5 in flight leave $0.25; this call may cost $1.01.
    const refused = await limits.admit({ key: k, requestId: 'b', deadline, reserve: () => reserveCall(plan, request) }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'budget_exceeded', status: 429 });
    expect(refused.message).toContain('calls in flight hold $0.500000');
    expect(refused.message).toContain('with max_tokens at most 240 it would fit');
    // Exactly what is left fits.
    const b = await limits.admit({ key: k, requestId: 'b', deadline, reserve: () => reserveCall(plan, { ...request, max_tokens: 240 }) });
    await a.release({ tokens: 0, cost: 0.1 });
    await b.release({ tokens: 0, cost: 0.2 });
    // $0.55 spent: a $0.45 call fits, a $0.46 one does not.
    const c = await limits.admit({ key: k, requestId: 'c', deadline, reserve: () => reserve(0, 0.45) });
    await c.release({ tokens: 0, cost: 0 });
    await expect(limits.admit({ key: k, requestId: 'd', deadline, reserve: () => reserve(0, 0.46) })).rejects.toMatchObject({ code: 'budget_exceeded' });
  });
});
