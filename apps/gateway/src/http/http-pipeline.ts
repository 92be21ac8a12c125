import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SwitchyardError } from '@app/contracts';
import { REQUEST_ID_HEADER, requestIdFrom } from '@app/observability';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth';
import { renderError } from './render-error';

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** `application/json` with any parameters, in any case; the exact value most clients send needs no parsing. */
function declaresJson(req: Request): boolean {
  return req.headers['content-type'] === 'application/json' || Boolean(req.is('application/json'));
}

/**
 * Before a JSON body is parsed: UTF-8 only (as RFC 8259 and OpenAI require; other encodings could
 * hide brackets from the depth check), and no deeper than {@link MAX_JSON_DEPTH} levels.
 */
function checkJsonBody(_req: Request, _res: Response, body: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8') {
    throw new SwitchyardError('unsupported_media_type', `JSON bodies must be UTF-8 (got charset ${encoding})`);
  }
  if (exceedsJsonDepth(body, MAX_JSON_DEPTH)) {
    throw new SwitchyardError('invalid_request', `request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

/**
 * What runs before any route: request id (`x-request-id`, and `request-id` as Anthropic's SDKs read
 * it), content-type check, JSON parsing (UTF-8, at most {@link MAX_JSON_DEPTH} levels deep), and
 * the rendering of parser failures in the route's error shape (they never reach Nest's filters).
 */
export function installHttpPipeline(app: NestExpressApplication, bodyLimitBytes: number): void {
  app.disable('x-powered-by');
  // No ETag hash of every API answer: no client revalidates a completion. The admin UI's static
  // files keep theirs (express.static and sendFile set their own).
  app.set('etag', false);
  // One middleware for both: each one more is another pass of the router for every request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    req.requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.requestIdFromClient = req.requestId === req.headers[REQUEST_ID_HEADER];
    res.setHeader(REQUEST_ID_HEADER, req.requestId);
    res.setHeader('request-id', req.requestId);
    if (hasBody(req) && !declaresJson(req)) {
      const sent = req.headers['content-type'] ?? 'none';
      next(new SwitchyardError('unsupported_media_type', `Content-Type must be application/json (got ${sent})`));
      return;
    }
    next();
  });
  app.use(express.json({ limit: bodyLimitBytes, strict: true, verify: checkJsonBody }));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => renderError(err, req, res));
}
