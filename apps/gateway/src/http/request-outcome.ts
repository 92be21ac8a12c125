import type { Request, Response } from 'express';

/** The client closed the connection before the answer was complete (nginx's code for it). */
export const CLIENT_CLOSED = 499;

/**
 * The route's pattern, never the raw path: paths can hold a key (`/key/{key}/regenerate`) and
 * arbitrary strings that would make a metric label set without bound.
 */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl ?? ''}${pattern}`;
  return req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
}

/** The status a request ended with: the answer's, or {@link CLIENT_CLOSED} when the client left before any was sent. */
export function answeredStatus(res: Response): number {
  return !res.writableFinished && !res.headersSent ? CLIENT_CLOSED : res.statusCode;
}
