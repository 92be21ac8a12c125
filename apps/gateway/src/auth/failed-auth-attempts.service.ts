import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type IORedis from 'ioredis';
import { SwitchyardError } from '@app/contracts';
import { AuthRedis } from './auth-redis';
import { LoginAttempts } from './login-attempts';

// The admin UI login's policy, now for every wrong secret: 10 failures within 5 minutes.
const MAX_FAILURES = 10;
const WINDOW_MS = 5 * 60_000;

/** One more failure from an address: its count across every gateway, and how long its window still runs. */
const COUNT_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

type CountingRedis = IORedis & { countAuthFailure(key: string, windowMs: number): Promise<[number, number]> };

/**
 * Wrong secrets per client address (a wrong master key, an unknown virtual key, a forged UI
 * session, a failed UI login), so that the master key cannot be guessed at request speed on
 * any route. After 10 failures within 5 minutes the address is refused with 429 until the 5
 * minutes are over, whatever it sends then, except a valid virtual key or a valid UI session
 * (neither tells anything about the master key). Other addresses are never refused.
 *
 * Failures are added up in Redis across gateway replicas; each replica learns the sum when it
 * counts a failure itself, so an address gets at most 10 + (replicas - 1) tries per window
 * without any Redis call on the master key's own path. Without Redis, each replica counts alone.
 */
@Injectable()
export class FailedAuthAttempts {
  private readonly local = new LoginAttempts(MAX_FAILURES, WINDOW_MS);
  private readonly redis: CountingRedis;

  constructor(private readonly auth: AuthRedis) {
    auth.client.defineCommand('countAuthFailure', { numberOfKeys: 1, lua: COUNT_FAILURE });
    this.redis = auth.client as CountingRedis;
  }

  /** Throws 429 with Retry-After while this address is refused. */
  refuseIfBlocked(address: string): void {
    const waitMs = this.local.blockedFor(address);
    if (waitMs > 0) {
      throw new SwitchyardError(
        'rate_limit_exceeded',
        `too many failed attempts with a wrong key or password from this address; try again in ${Math.ceil(waitMs / 1000)} s`,
        {
          retryAfterMs: waitMs,
        },
      );
    }
  }

  async failed(address: string): Promise<void> {
    const now = Date.now();
    this.local.failed(address, now);
    // Hashed: behind a proxy the address comes from a header and may be anything.
    const key = this.auth.key(`failures:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`);
    try {
      const [count, ttlMs] = await this.redis.countAuthFailure(key, WINDOW_MS);
      this.local.merge(address, count, now + Math.max(0, ttlMs), now);
    } catch {
      // Redis is away: this replica's own count still holds.
    }
  }
}
