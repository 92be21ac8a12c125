import type { Request } from 'express';

/**
 * The route's pattern, never the raw path: paths can hold a key (`/key/{key}/regenerate`) and
 * arbitrary strings that would make a metric label set without bound.
 */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl ?? ''}${pattern}`;
  return req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
}
