import { type GatewayConfig } from '@app/config';
import { UiSessions } from './ui-sessions.service';

const sessions = (masterKey: string, ttlSeconds = 3600, uiPassword?: string) =>
  new UiSessions({ env: { MASTER_KEY: masterKey, UI_SESSION_TTL: ttlSeconds, UI_PASSWORD: uiPassword } } as GatewayConfig);

describe('UiSessions', () => {
  const now = Date.UTC(2026, 10, 26, 12);

  it('accepts its own token until it expires, then says so', () => {
    const s = sessions('sk-master', 60);
    const { token, expiresAt } = s.issue(now);
    expect(UiSessions.isSessionToken(token)).toBe(true);
    expect(token).not.toContain('sk-master');
    expect(expiresAt.getTime()).toBe(now + 60_000);
    expect(s.check(token, now + 59_000)).toBe('valid');
    expect(s.check(token, now + 60_000)).toBe('expired');
  });

  it('refuses a token with a changed expiry, signature or master key', () => {
    const s = sessions('sk-master');
    const { token } = s.issue(now);
    const [prefix, , nonce, signature] = token.split('.');
    const extended = `${prefix}.${(now + 10 * 86_400_000).toString(36)}.${nonce}.${signature}`;
    expect(s.check(extended, now)).toBe('invalid');
    expect(s.check(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, now)).toBe('invalid');
    expect(sessions('sk-new-master').check(token, now)).toBe('invalid');
    expect(sessions('sk-master', 3600, 'a-new-ui-password').check(token, now)).toBe('invalid');
    expect(s.check('sy-ui.garbage', now)).toBe('invalid');
  });
});
