import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { ADMIN_ROUTE, PUBLIC_ROUTE } from './auth.decorators';
import { KeyCacheService } from './key-cache.service';
import { keyFromHeaders, secretDigest } from './key-material';
import { UiSessions } from './ui-sessions.service';

/** Every route needs a key unless marked `@Public()`; `@AdminOnly()` routes need the master key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly masterDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyCacheService,
    private readonly sessions: UiSessions,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.masterDigest = secretDigest(config.env.MASTER_KEY);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const key = keyFromHeaders(req.headers);
    if (!key) {
      throw new SwitchyardError('missing_api_key', 'no API key: send it as "Authorization: Bearer <key>"');
    }
    // One SHA-256 per request: compared with the master key's in constant time, and the virtual key's token.
    const digest = secretDigest(key);
    if (timingSafeEqual(digest, this.masterDigest)) {
      req.auth = { kind: 'master' };
      return true;
    }
    if (UiSessions.isSessionToken(key)) {
      const session = this.sessions.check(key);
      if (session === 'expired') throw new SwitchyardError('expired_api_key', 'admin UI session expired: log in again');
      if (session === 'invalid') throw new SwitchyardError('invalid_api_key', 'invalid admin UI session: log in again');
      req.auth = { kind: 'master' };
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, targets)) {
      // The key is not checked further: a virtual key must not learn anything from an admin route.
      throw new SwitchyardError('admin_only', 'this endpoint needs the master key');
    }
    const record = await this.keys.lookup(digest.toString('hex'));
    if (!record) throw new SwitchyardError('invalid_api_key', 'invalid API key');
    if (record.blocked) throw new SwitchyardError('blocked_api_key', 'this API key is blocked');
    if (record.expires && record.expires.getTime() <= Date.now()) {
      throw new SwitchyardError('expired_api_key', `this API key expired at ${record.expires.toISOString()}`);
    }
    req.auth = { kind: 'virtual', key: record };
    return true;
  }
}
