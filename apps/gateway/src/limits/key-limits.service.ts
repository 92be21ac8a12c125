import { once } from 'node:events';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type IORedis from 'ioredis';
import { SwitchyardError, dependencyUnavailable } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { closeRedis, createRedisConnection } from '@app/queue';
import type { KeyRecord } from '../auth/auth-context';
import type { CallReservation } from './call-reservation';

const WINDOW_MS = 60_000;
// Counters outlive their minute a little, so a reset header read at :59 still finds them.
const WINDOW_TTL_S = 120;
const SPEND_TTL_S = 86_400;

/**
 * Checks every limit of one key and, when all pass, takes a slot — in one round trip, atomically,
 * so gateway replicas share one count. In-flight calls are members
 * `<call id>|<reserved tokens>|<reserved USD>` of a sorted set scored by when their slot lapses:
 * a gateway that dies mid-call leaks nothing for long. A call is let in only if the tokens the
 * key used this minute, the tokens reserved by its calls in flight and its own reservation fit
 * in tpm_limit, and likewise its spend, the USD reserved in flight and its own in max_budget.
 */
const ADMIT = `
local rpmLimit, tpmLimit, parallelLimit, maxBudget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now, member, expiresAt, storedSpend, ttl = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
local ownTokens, ownUsd = tonumber(ARGV[10]), tonumber(ARGV[11])
local rpm = tonumber(redis.call('GET', KEYS[1]) or '0')
local tpm = tonumber(redis.call('GET', KEYS[2]) or '0')
if rpmLimit > 0 and rpm >= rpmLimit then return {'rpm', rpm, tpm, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local inFlight = redis.call('ZRANGE', KEYS[3], 0, -1)
local heldTokens, heldUsd = 0, 0
for _, m in ipairs(inFlight) do
  local tokens, usd = string.match(m, '|([^|]*)|([^|]*)$')
  -- A member written before tokens were reserved: '<call id>|<reserved USD>'.
  if not usd then usd = string.match(m, '|([^|]*)$') end
  heldTokens = heldTokens + (tonumber(tokens) or 0)
  heldUsd = heldUsd + (tonumber(usd) or 0)
end
if tpmLimit > 0 and tpm + heldTokens + ownTokens > tpmLimit then return {'tpm', rpm, tpm, heldTokens} end
if parallelLimit > 0 and #inFlight >= parallelLimit then return {'parallel', rpm, tpm, heldTokens} end
if maxBudget >= 0 then
  local spent = redis.call('GET', KEYS[4])
  if not spent then
    redis.call('SET', KEYS[4], storedSpend, 'EX', ${SPEND_TTL_S})
    spent = storedSpend
  end
  spent = tonumber(spent)
  -- The slack absorbs floating-point sums, so calls that exactly fill the budget are let in.
  if spent + heldUsd >= maxBudget or spent + heldUsd + ownUsd > maxBudget + 1e-9 then
    return {'budget', rpm, tpm, heldTokens, tostring(spent), tostring(heldUsd)}
  end
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ttl)
if parallelLimit > 0 or maxBudget >= 0 or tpmLimit > 0 then
  redis.call('ZADD', KEYS[3], expiresAt, member)
  -- Only ever extended: a short call must not cut short the slot of a long one already in flight.
  local keep = expiresAt + 1000 - now
  if redis.call('PTTL', KEYS[3]) < keep then redis.call('PEXPIRE', KEYS[3], keep) end
end
return {'ok', rpm + 1, tpm, heldTokens + ownTokens}
`;

/** Releases a call's slot: its reservation goes, the tokens and cost it really used are counted. */
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

type Verdict = [outcome: string, rpm: number, tpm: number, heldTokens: number, spent?: string, heldUsd?: string];

/** A call refused as invalid before any upstream saw it gives back the request it counted in its minute. */
const REFUND = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 1
`;

type LimitRedis = IORedis & {
  admitKey(...args: Array<string | number>): Promise<Verdict>;
  releaseKey(...args: Array<string | number>): Promise<number>;
  refundKey(...args: Array<string | number>): Promise<number>;
};

/** What a call used, reported when it ends. */
export interface CallUsage {
  tokens: number;
  cost: number;
  /** The call was refused as invalid before any upstream saw it: its request does not count against rpm_limit. */
  refund?: boolean;
}

/** A call let in by the key's limits. `release` gives the slot back and counts what the call used. */
export interface Admission {
  /** x-ratelimit-* headers for the answer; empty for keys without limits. */
  headers: Record<string, string>;
  release(used: CallUsage): Promise<void>;
}

const UNLIMITED: Admission = { headers: {}, release: async () => undefined };

/**
 * How long after its deadline a call's slot and reservation lapse if nobody releases them (its
 * gateway died): long enough for a call cut off at its deadline to be settled with its usage first.
 */
const SLOT_GRACE_MS = 5_000;

export interface AdmitRequest {
  /** Null for the master key, which has no limits. */
  key: KeyRecord | null;
  requestId: string;
  /** When the call ends at the latest: its slot is freed {@link SLOT_GRACE_MS} later even if nobody releases it. */
  deadline: number;
  /** Tokens and USD held against tpm_limit and max_budget while the call runs; worked out only for a key with limits. */
  reserve(): CallReservation;
}

const usd = (n: number) => `$${n.toFixed(6)}`;

/**
 * Per-key rpm_limit, tpm_limit, max_parallel_requests and max_budget, enforced in Redis so
 * every gateway replica shares one count. Keys without limits never touch Redis here.
 * tpm_limit and budgets: each running call reserves the most it may use (see
 * {@link CallReservation}) until it ends and its real usage replaces the reservation, so
 * parallel calls cannot all start on the same last tokens or the same last dollar.
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
    this.redis.defineCommand('refundKey', { numberOfKeys: 1, lua: REFUND });
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

  /**
   * Lets the call in, or throws 429 with the headers to send: rate_limit_exceeded, budget_exceeded,
   * or tokens_over_limit for a call that alone needs more than the key's tpm_limit (it could never run).
   */
  async admit(request: AdmitRequest, now = Date.now()): Promise<Admission> {
    const { key } = request;
    if (!key || !KeyLimits.hasLimits(key)) return UNLIMITED;
    const reservation = request.reserve();
    const window = Math.floor(now / WINDOW_MS);
    const resetS = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    if (key.tpmLimit !== null && reservation.tokens > key.tpmLimit) throw this.tooLarge(key.tpmLimit, reservation);
    const keys = this.keysOf(key.id, window);
    const tokens = key.tpmLimit === null ? 0 : reservation.tokens;
    const cost = key.maxBudget === null ? 0 : reservation.cost;
    // The reserved USD stays the last field: that is where gateways of earlier versions read it.
    const member = `${request.requestId}|${tokens}|${cost}`;
    let verdict: Verdict;
    try {
      verdict = await this.redis.admitKey(
        keys.rpm,
        keys.tpm,
        keys.inFlight,
        keys.spend,
        key.rpmLimit ?? 0,
        key.tpmLimit ?? 0,
        key.maxParallelRequests ?? 0,
        key.maxBudget ?? -1,
        now,
        member,
        request.deadline + SLOT_GRACE_MS,
        String(key.spend),
        WINDOW_TTL_S,
        tokens,
        cost,
      );
    } catch (err) {
      throw dependencyUnavailable('rate limiter', err);
    }
    const [outcome, rpm, tpm, heldTokens, spent, heldUsd] = verdict;
    const headers = this.headers(key, outcome === 'rpm' ? Number.MAX_SAFE_INTEGER : rpm, tpm + heldTokens, resetS);
    switch (outcome) {
      case 'rpm':
        throw new SwitchyardError('rate_limit_exceeded', `this key may make ${key.rpmLimit} requests per minute (rpm_limit); retry in ${resetS} s`, {
          retryAfterMs: resetS * 1000,
          headers,
          fault: 'caller',
        });
      case 'tpm':
        throw this.overTpm(key.tpmLimit!, tpm, heldTokens, reservation, resetS, headers);
      case 'parallel':
        throw new SwitchyardError('rate_limit_exceeded', `this key already has ${key.maxParallelRequests} requests in flight (max_parallel_requests)`, {
          retryAfterMs: 1000,
          headers,
          fault: 'caller',
        });
      case 'budget':
        throw this.overBudget(key.maxBudget!, Number(spent), Number(heldUsd), reservation, headers);
    }
    let released = false;
    return {
      headers,
      release: async ({ tokens, cost, refund }) => {
        if (released) return;
        released = true;
        const end = this.keysOf(key.id, Math.floor(Date.now() / WINDOW_MS));
        await Promise.all([
          this.redis
            .releaseKey(end.inFlight, end.tpm, end.spend, member, key.tpmLimit === null ? 0 : tokens, key.maxBudget === null ? 0 : cost, WINDOW_TTL_S)
            .catch(() => undefined),
          // Counted in the minute it was admitted in.
          refund && key.rpmLimit !== null ? this.redis.refundKey(keys.rpm).catch(() => undefined) : undefined,
        ]);
      },
    };
  }

  /** A call that needs more than the whole tpm_limit: refused before Redis is asked, and no retry helps. */
  private tooLarge(tpmLimit: number, reservation: CallReservation): SwitchyardError {
    const fits = reservation.maxTokensWithin({ tokens: tpmLimit });
    const advice = fits > 0 ? `set max_tokens to at most ${fits}` : 'shorten the prompt';
    return new SwitchyardError(
      'tokens_over_limit',
      `this call may use ${reservation.tokens} tokens (${this.describe(reservation)}), more than this key's tpm_limit of ${tpmLimit}; ${advice}`,
      { param: 'max_tokens', fault: 'caller' },
    );
  }

  private overTpm(
    tpmLimit: number,
    used: number,
    held: number,
    reservation: CallReservation,
    resetS: number,
    headers: Record<string, string>,
  ): SwitchyardError {
    // Only calls in flight stand in the way: one of them ending may make room before the minute is over.
    const retryS = used + reservation.tokens <= tpmLimit ? 1 : resetS;
    const fits = reservation.maxTokensWithin({ tokens: tpmLimit - used - held });
    const smaller = fits > 0 ? `, or set max_tokens to at most ${fits}` : '';
    const message = `this key may use ${tpmLimit} tokens per minute (tpm_limit): ${used} used this minute and ${held} reserved by calls in flight leave no room for this call's ${reservation.tokens} (${this.describe(reservation)}); retry in ${retryS} s${smaller}`;
    return new SwitchyardError('rate_limit_exceeded', message, { retryAfterMs: retryS * 1000, headers, fault: 'caller' });
  }

  private overBudget(maxBudget: number, spent: number, held: number, reservation: CallReservation, headers: Record<string, string>): SwitchyardError {
    let message = `budget exceeded: this key has spent ${usd(spent)} of its $${maxBudget} budget`;
    if (held > 0) message += ` and calls in flight hold ${usd(held)} of it`;
    if (spent + held < maxBudget) {
      message += `; this call may cost up to ${usd(reservation.cost)} (${this.describe(reservation)})`;
      const fits = reservation.maxTokensWithin({ cost: maxBudget - spent - held });
      if (fits > 0) message += `; with max_tokens at most ${fits} it would fit`;
    }
    return new SwitchyardError('budget_exceeded', message, { headers });
  }

  private describe(reservation: CallReservation): string {
    // A call that generates nothing (embeddings).
    if (reservation.outputTokens === 0 && reservation.fromRequest) return `input about ${reservation.promptTokens}`;
    const why = reservation.fromRequest ? 'its max_tokens' : "the model's maximum output; the call sets no max_tokens";
    return `prompt about ${reservation.promptTokens} + up to ${reservation.outputTokens} generated, ${why}`;
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

  /** OpenAI's x-ratelimit-* headers for the limits this key has. Tokens taken: used this minute and reserved by calls in flight. */
  private headers(key: KeyRecord, requestsUsed: number, tokensTaken: number, resetS: number): Record<string, string> {
    const headers: Record<string, string> = {};
    if (key.rpmLimit !== null) {
      headers['x-ratelimit-limit-requests'] = String(key.rpmLimit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, key.rpmLimit - requestsUsed));
      headers['x-ratelimit-reset-requests'] = `${resetS}s`;
    }
    if (key.tpmLimit !== null) {
      headers['x-ratelimit-limit-tokens'] = String(key.tpmLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, key.tpmLimit - tokensTaken));
      headers['x-ratelimit-reset-tokens'] = `${resetS}s`;
    }
    return headers;
  }
}
