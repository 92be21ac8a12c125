import { HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ErrorCode, SwitchyardError } from '@app/contracts';

const logger = new Logger('Errors');

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'invalid_api_key',
  403: 'admin_only',
  404: 'not_found',
  413: 'request_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limit_exceeded',
  502: 'upstream_error',
  503: 'service_unavailable',
  504: 'timeout',
};

/** body-parser's failures, which happen before any route runs. */
function fromBodyParser(err: { type?: string; message?: string; status?: number }): SwitchyardError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new SwitchyardError('invalid_request', `request body is not valid JSON: ${err.message}`);
    case 'entity.too.large':
      return new SwitchyardError('request_too_large', `request body is larger than the limit (${err.message})`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new SwitchyardError('unsupported_media_type', err.message ?? 'unsupported encoding');
    case 'request.aborted':
    case 'request.size.invalid':
      return new SwitchyardError('invalid_request', err.message ?? 'incomplete request body');
    default:
      return undefined;
  }
}

/** Any thrown value → the OpenAI error shape. Unknown errors are logged with the request id; the client sees only the id. */
export function toSwitchyardError(err: unknown, req: Request): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const message = status === 404 ? `unknown route: ${req.method} ${req.path}` : err.message;
    return new SwitchyardError(CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request'), message, { status });
  }
  const parserError = err && typeof err === 'object' ? fromBodyParser(err as { type?: string }) : undefined;
  if (parserError) return parserError;
  logger.error(`request ${req.requestId}: ${(err as Error)?.stack ?? String(err)}`);
  return new SwitchyardError('internal_error', `internal error; quote request id ${req.requestId} when reporting it`);
}

export function renderError(err: unknown, req: Request, res: Response): void {
  const error = toSwitchyardError(err, req);
  (req.facts ??= {}).errorCode = error.code;
  for (const [name, value] of Object.entries(error.headers ?? {})) if (!res.headersSent) res.setHeader(name, value);
  if (error.retryAfterMs !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  // The OpenAI SDKs honour this header: a spent budget, or a call larger than a whole token limit, is not worth retrying.
  if (error.code === 'budget_exceeded' || error.code === 'tokens_over_limit') res.setHeader('x-should-retry', 'false');
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(error.status).json(error.toBody());
}
