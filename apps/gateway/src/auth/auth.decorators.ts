import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthContext } from './auth-context';

export const PUBLIC_ROUTE = 'switchyard:public';
export const ADMIN_ROUTE = 'switchyard:admin';

/** No key needed (health probes). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Master key only. */
export const AdminOnly = () => SetMetadata(ADMIN_ROUTE, true);

/** The caller's identity, as the guard established it. */
export function authOf(req: Request): AuthContext {
  const auth = req.auth;
  if (!auth) throw new Error('Auth used on a route without the API key guard');
  return auth;
}

/** The caller's identity as a route parameter. Model routes, which have `@Req()` anyway, call {@link authOf}: one Nest parameter pipe fewer per call. */
export const Auth = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => authOf(ctx.switchToHttp().getRequest<Request>()));
