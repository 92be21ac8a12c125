import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { ADMIN_ROUTE, PUBLIC_ROUTE } from './auth.decorators';
import { clientAddress } from './client-address';
import { FailedAuthAttempts } from './failed-auth-attempts.service';
import { KeyCacheService } from './key-cache.service';
import { keyFromHeaders, secretDigest } from './key-material';
import { UiSessions } from './ui-sessions.service';

/** A route's `@Public()` and `@AdminOnly()`. */
interface RouteAccess {
  public: boolean;
  admin: boolean;
}

/**
 * Every route needs a key unless marked `@Public()`; `@AdminOnly()` routes need the master key
 * (or an admin UI session). The master key is accepted on every route, so a wrong key counts as
 * a failed attempt on every route: otherwise `/v1/models` would let anyone guess it freely.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly masterDigest: Buffer;
  /** By handler, then controller class (a handler may be inherited). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyCacheService,
    private readonly sessions: UiSessions,
    private readonly attempts: FailedAuthAttempts,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.masterDigest = secretDigest(config.env.MASTER_KEY);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.accessOf(context);
    if (route.public) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const key = keyFromHeaders(req.headers);
    if (!key) {
      throw new SwitchyardError('missing_api_key', 'no API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"');
    }
    // One SHA-256 per request: compared with the master key's in constant time, and the virtual key's token.
    const digest = secretDigest(key);
    if (timingSafeEqual(digest, this.masterDigest)) {
      // Refused like a wrong key while the address is locked out, or a guess would show itself right.
      this.attempts.refuseIfBlocked(clientAddress(req));
      req.auth = { kind: 'master' };
      return true;
    }
    if (UiSessions.isSessionToken(key)) {
      const state = await this.sessions.state(key);
      if (state === 'invalid') return this.failed(clientAddress(req), new SwitchyardError('invalid_api_key', 'invalid admin UI session: log in again'));
      if (state !== 'valid') throw new SwitchyardError('expired_api_key', `admin UI session ${state === 'revoked' ? 'ended' : 'expired'}: log in again`);
      req.auth = { kind: 'master' };
      return true;
    }
    const record = await this.keys.lookup(digest.toString('hex'));
    if (!record) return this.failed(clientAddress(req), wrongKey(route.admin));
    if (route.admin) throw wrongKey(route.admin);
    if (record.blocked) throw new SwitchyardError('blocked_api_key', 'this API key is blocked');
    if (record.expires && record.expires.getTime() <= Date.now()) {
      throw new SwitchyardError('expired_api_key', `this API key expired at ${record.expires.toISOString()}`);
    }
    req.auth = { kind: 'virtual', key: record };
    return true;
  }

  /** What the route's decorators say, read once per route: metadata does not change once the app is built. */
  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.routes.get(handler);
    let access = byController?.get(controller);
    if (!access) {
      const targets = [handler, controller];
      access = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
        admin: this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, targets) === true,
      };
      if (!byController) this.routes.set(handler, (byController = new WeakMap()));
      byController.set(controller, access);
    }
    return access;
  }

  /** A wrong secret: 429 while the address is locked out, otherwise counted and refused with `error`. */
  private async failed(address: string, error: SwitchyardError): Promise<never> {
    this.attempts.refuseIfBlocked(address);
    await this.attempts.failed(address);
    throw error;
  }
}

/** On an admin route every key but the master key gets the same 403: it learns nothing there. Built only on failure (an error captures a stack). */
function wrongKey(adminRoute: boolean): SwitchyardError {
  return adminRoute ? new SwitchyardError('admin_only', 'this endpoint needs the master key') : new SwitchyardError('invalid_api_key', 'invalid API key');
}
