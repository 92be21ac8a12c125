import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { GatewayConfig } from '@app/config';

const PREFIX = 'sy-ui.';

/**
 * Admin UI sessions: `sy-ui.<expiry>.<nonce>.<HMAC>` tokens that stand for the master key
 * until they expire. Stateless, so every gateway replica accepts them; signed with a key
 * derived from the master key and UI_PASSWORD, so changing either ends every session.
 */
@Injectable()
export class UiSessions {
  private readonly secret: Buffer;
  private readonly ttlMs: number;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    // Changing the master key or the UI password ends every session.
    this.secret = createHmac('sha256', 'switchyard-ui-session').update(`${config.env.MASTER_KEY}\0${config.env.UI_PASSWORD ?? ''}`).digest();
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

  check(token: string, now = Date.now()): 'valid' | 'expired' | 'invalid' {
    const cut = token.lastIndexOf('.');
    const body = token.slice(0, cut);
    const given = Buffer.from(token.slice(cut + 1));
    const expected = Buffer.from(this.sign(body));
    if (cut < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    const expires = parseInt(body.slice(PREFIX.length).split('.')[0], 36);
    return Number.isFinite(expires) && expires > now ? 'valid' : 'expired';
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
