import { once } from 'node:events';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type IORedis from 'ioredis';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { closeRedis, createRedisConnection } from '@app/queue';
import type { KeyRecord } from '../auth/auth-context';

const WINDOW_MS = 60_000;
// Counters outlive their minute a little, so a reset header read at :59 still finds them.
const WINDOW_TTL_S = 120;
const SPEND_TTL_S = 86_400;

/**
 * Checks every limit of one key and, when all pass, takes a slot — in one round trip, atomically,
 * so gateway replicas share one count. In-flight calls are members `<request id>|<reserved USD>`
 * of a sorted set scored by their deadline: a gateway that dies mid-call leaks nothing for long.
 */
const ADMIT = `
local rpmLimit, tpmLimit, parallelLimit, maxBudget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now, member, expiresAt, storedSpend, ttl = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
local rpm = tonumber(redis.call('GET', KEYS[1]) or '0')
local tpm = tonumber(redis.call('GET', KEYS[2]) or '0')
if rpmLimit > 0 and rpm >= rpmLimit then return {'rpm', rpm, tpm} end
if tpmLimit > 0 and tpm >= tpmLimit then return {'tpm', rpm, tpm} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local inFlight = redis.call('ZRANGE', KEYS[3], 0, -1)
if parallelLimit > 0 and #inFlight >= parallelLimit then return {'parallel', rpm, tpm} end
if maxBudget >= 0 then
  local spent = redis.call('GET', KEYS[4])
  if not spent then
    redis.call('SET', KEYS[4], storedSpend, 'EX', ${SPEND_TTL_S})
    spent = storedSpend
  end
  local reserved = 0
  for _, m in ipairs(inFlight) do reserved = reserved + tonumber(string.match(m, '|([^|]*)$')) end
  if tonumber(spent) + reserved >= maxBudget then return {'budget', rpm, tpm, spent} end
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ttl)
if parallelLimit > 0 or maxBudget >= 0 then
  redis.call('ZADD', KEYS[3], expiresAt, member)
  -- Only ever extended: a short call must not cut short the slot of a long one already in flight.
  local keep = expiresAt + 1000 - now
  if redis.call('PTTL', KEYS[3]) < keep then redis.call('PEXPIRE', KEYS[3], keep) end
end
return {'ok', rpm + 1, tpm}
`;

const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
local tokens, cost = tonumber(ARGV[2]), tonumber(ARGV[3])
if tokens > 0 then
  redis.call('INCRBY', KEYS[2], tokens)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
end
if cost > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('INCRBYFLOAT', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[3], ${SPEND_TTL_S})
end
return 1
`;

type LimitRedis = IORedis & {
  admitKey(...args: Array<string | number>): Promise<[string, number, number, string?]>;
  releaseKey(...args: Array<string | number>): Promise<number>;
};

/** A call let in by the key's limits. `release` gives the slot back and counts what the call used. */
export interface Admission {
  /** x-ratelimit-* headers for the answer; empty for keys without limits. */
  headers: Record<string, string>;
  release(used: { tokens: number; cost: number }): Promise<void>;
}

const UNLIMITED: Admission = { headers: {}, release: async () => undefined };

export interface AdmitRequest {
  /** Null for the master key, which has no limits. */
  key: KeyRecord | null;
  requestId: string;
  /** When the call ends at the latest: its slot is freed then even if nobody releases it. */
  deadline: number;
  /** USD reserved against the budget while the call runs. */
  estimatedCost: number;
}

/**
 * Per-key rpm_limit, tpm_limit, max_parallel_requests and max_budget, enforced in Redis so
 * every gateway replica shares one count. Keys without limits never touch Redis here.
 * Budgets: spend is kept in Redis next to the limits (seeded from Postgres); each running call
 * reserves its estimated cost, so parallel calls cannot all start on the same last dollar.
 */
@Injectable()
export class KeyLimits implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: LimitRedis;
  private readonly prefix: string;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.prefix = config.env.QUEUE_PREFIX;
    this.redis = createRedisConnection(config.env.REDIS_URL, 'request-path', 'switchyard:gateway-limits') as LimitRedis;
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('admitKey', { numberOfKeys: 4, lua: ADMIT });
    this.redis.defineCommand('releaseKey', { numberOfKeys: 3, lua: RELEASE });
  }

  /** Connected before the gateway serves, so the first calls of a limited key are not refused; gives up waiting after 10 s. */
  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await Promise.race([once(this.redis, 'ready'), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  }

  onApplicationShutdown() {
    return closeRedis(this.redis);
  }

  static hasLimits(key: KeyRecord): boolean {
    return key.rpmLimit !== null || key.tpmLimit !== null || key.maxParallelRequests !== null || key.maxBudget !== null;
  }

  /** Lets the call in, or throws 429 (rate_limit_exceeded, or budget_exceeded) with the headers to send. */
  async admit(request: AdmitRequest, now = Date.now()): Promise<Admission> {
    const { key } = request;
    if (!key || !KeyLimits.hasLimits(key)) return UNLIMITED;
    const window = Math.floor(now / WINDOW_MS);
    const resetS = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    const keys = this.keysOf(key.id, window);
    const reserve = key.maxBudget === null ? 0 : request.estimatedCost;
    const member = `${request.requestId}|${reserve}`;
    let verdict: [string, number, number, string?];
    try {
      verdict = await this.redis.admitKey(
        keys.rpm, keys.tpm, keys.inFlight, keys.spend,
        key.rpmLimit ?? 0, key.tpmLimit ?? 0, key.maxParallelRequests ?? 0, key.maxBudget ?? -1,
        now, member, request.deadline, String(key.spend), WINDOW_TTL_S,
      );
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `rate limiter unavailable (Redis): ${(err as Error).message}`);
    }
    const [outcome, rpm, tpm, spent] = verdict;
    const headers = this.headers(key, outcome === 'rpm' ? Number.MAX_SAFE_INTEGER : rpm, tpm, resetS);
    switch (outcome) {
      case 'rpm':
        throw new SwitchyardError('rate_limit_exceeded', `this key may make ${key.rpmLimit} requests per minute (rpm_limit); retry in ${resetS} s`, { retryAfterMs: resetS * 1000, headers });
      case 'tpm':
        throw new SwitchyardError('rate_limit_exceeded', `this key may use ${key.tpmLimit} tokens per minute (tpm_limit); retry in ${resetS} s`, { retryAfterMs: resetS * 1000, headers });
      case 'parallel':
        throw new SwitchyardError('rate_limit_exceeded', `this key already has ${key.maxParallelRequests} requests in flight (max_parallel_requests)`, { retryAfterMs: 1000, headers });
      case 'budget':
        throw new SwitchyardError('budget_exceeded', `budget exceeded: this key has spent $${Number(spent).toFixed(6)} of its $${key.maxBudget} budget`, { headers });
    }
    let released = false;
    return {
      headers,
      release: async ({ tokens, cost }) => {
        if (released) return;
        released = true;
        const end = this.keysOf(key.id, Math.floor(Date.now() / WINDOW_MS));
        await this.redis.releaseKey(end.inFlight, end.tpm, end.spend, member, key.tpmLimit === null ? 0 : tokens, key.maxBudget === null ? 0 : cost, WINDOW_TTL_S).catch(() => undefined);
      },
    };
  }

  /** Forgets the spend Redis holds for these keys (by id; budget reset): the next call reads Postgres again. */
  async forgetSpend(keyIds: string[]): Promise<void> {
    if (keyIds.length) await this.redis.del(...keyIds.map((id) => this.keysOf(id, 0).spend));
  }

  /**
   * By the key's id, which a regeneration keeps: its counters, calls in flight and spend carry
   * over to the new secret. Hash-tagged by key, so a Redis Cluster keeps one key's counters in one slot.
   */
  private keysOf(keyId: string, window: number) {
    const base = `${this.prefix}:limits:{${keyId}}`;
    return { rpm: `${base}:rpm:${window}`, tpm: `${base}:tpm:${window}`, inFlight: `${base}:in-flight`, spend: `${base}:spend` };
  }

  /** OpenAI's x-ratelimit-* headers for the limits this key has. */
  private headers(key: KeyRecord, requestsUsed: number, tokensUsed: number, resetS: number): Record<string, string> {
    const headers: Record<string, string> = {};
    if (key.rpmLimit !== null) {
      headers['x-ratelimit-limit-requests'] = String(key.rpmLimit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, key.rpmLimit - requestsUsed));
      headers['x-ratelimit-reset-requests'] = `${resetS}s`;
    }
    if (key.tpmLimit !== null) {
      headers['x-ratelimit-limit-tokens'] = String(key.tpmLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, key.tpmLimit - tokensUsed));
      headers['x-ratelimit-reset-tokens'] = `${resetS}s`;
    }
    return headers;
  }
}
