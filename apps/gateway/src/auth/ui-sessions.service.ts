import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { AuthRedis } from './auth-redis';

const PREFIX = 'sy-ui.';

export type SessionState = 'valid' | 'expired' | 'invalid' | 'revoked';

/**
 * Admin UI sessions: `sy-ui.<expiry>.<nonce>.<HMAC>` tokens that stand for the master key
 * until they expire or are revoked ("Log out"). Signed with a key derived from the master key
 * and UI_PASSWORD, so changing either ends every session; any replica checks the signature
 * alone. A revoked token is listed in Redis until it would have expired anyway, and every
 * replica asks Redis before accepting a session.
 */
@Injectable()
export class UiSessions {
  private readonly secret: Buffer;
  private readonly ttlMs: number;

  constructor(
    @Inject(GatewayConfig) config: GatewayConfig,
    @Optional() private readonly redis?: AuthRedis,
  ) {
    // Changing the master key or the UI password ends every session.
    this.secret = createHmac('sha256', 'switchyard-ui-session')
      .update(`${config.env.MASTER_KEY}\0${config.env.UI_PASSWORD ?? ''}`)
      .digest();
    this.ttlMs = config.env.UI_SESSION_TTL * 1000;
  }

  static isSessionToken(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  issue(now = Date.now()): { token: string; expiresAt: Date } {
    const expires = now + this.ttlMs;
    const body = `${PREFIX}${expires.toString(36)}.${randomBytes(12).toString('base64url')}`;
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(expires) };
  }

  /** The signature and expiry alone. */
  check(token: string, now = Date.now()): 'valid' | 'expired' | 'invalid' {
    const expires = this.expiryOf(token);
    if (expires === undefined) return 'invalid';
    return expires > now ? 'valid' : 'expired';
  }

  /** As `check`, and not revoked. Throws 503 when Redis cannot say: a revoked session must not slip through. */
  async state(token: string, now = Date.now()): Promise<SessionState> {
    const state = this.check(token, now);
    if (state !== 'valid') return state;
    try {
      return (await this.store().client.exists(this.revokedKey(token))) ? 'revoked' : 'valid';
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `cannot check the admin UI session (Redis): ${(err as Error).message}`);
    }
  }

  /** Ends a session on every replica; remembered only until the token would have expired. */
  async revoke(token: string, now = Date.now()): Promise<void> {
    const expires = this.expiryOf(token);
    if (expires === undefined || expires <= now) return;
    try {
      await this.store().client.set(this.revokedKey(token), '1', 'PX', expires - now);
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `cannot end the admin UI session (Redis): ${(err as Error).message}`);
    }
  }

  /** The expiry of a token signed here; undefined when the signature does not hold. */
  private expiryOf(token: string): number | undefined {
    if (!UiSessions.isSessionToken(token)) return undefined;
    const cut = token.lastIndexOf('.');
    const body = token.slice(0, cut);
    const given = Buffer.from(token.slice(cut + 1));
    const expected = Buffer.from(this.sign(body));
    if (cut < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const expires = parseInt(body.slice(PREFIX.length).split('.')[0], 36);
    return Number.isFinite(expires) ? expires : undefined;
  }

  private revokedKey(token: string): string {
    return this.store().key(`revoked-session:${createHash('sha256').update(token).digest('hex')}`);
  }

  private store(): AuthRedis {
    if (!this.redis) throw new Error('UiSessions needs AuthRedis to revoke sessions');
    return this.redis;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
