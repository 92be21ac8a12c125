import { HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ErrorCode, type OpenAIErrorBody, SwitchyardError, asSwitchyardError, internalFailure, isConnectionFailure } from '@app/contracts';
import { isMessagesApiPath, messagesErrorAnswer } from '../messages/messages-errors';

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

/**
 * Any thrown value → a SwitchyardError. A failure inside the system (an unknown exception, a
 * dependency that cannot be reached) gets a plain message; what went wrong is kept as the error's
 * `detail` for the log, and an unknown exception's stack is logged with the request id.
 */
export function toSwitchyardError(err: unknown, req: Request): SwitchyardError {
  if (err instanceof SwitchyardError) return err;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
    if (status >= 500) return internalFailure(code, 'internal error', err, { status });
    const message = status === 404 ? `unknown route: ${req.method} ${req.path}` : err.message;
    return new SwitchyardError(code, message, { status });
  }
  const parserError = err && typeof err === 'object' ? fromBodyParser(err) : undefined;
  if (parserError) return parserError;
  if (!isConnectionFailure(err)) logger.error(`request ${req.requestId}: ${(err as Error)?.stack ?? String(err)}`);
  return asSwitchyardError(err);
}

/**
 * The body a client gets for an error. A 5xx message ends with the request id, which the log
 * lines of the call carry too; nothing else of the failure is shown.
 */
export function errorBody(error: SwitchyardError, requestId: string): OpenAIErrorBody {
  const body = error.toBody();
  if (error.status >= 500) body.error.message = `${error.message} (request id ${requestId})`;
  return body;
}

/**
 * The status and body an error is answered with, in the shape the route's clients read: Anthropic's
 * on its Messages API (`/v1/messages*`), OpenAI's everywhere else. Every error goes through here,
 * those of the key guard and the body parser included.
 */
export function errorAnswer(error: SwitchyardError, req: Pick<Request, 'path' | 'requestId'>): { status: number; body: unknown } {
  if (isMessagesApiPath(req.path)) return messagesErrorAnswer(error, req.requestId);
  return { status: error.status, body: errorBody(error, req.requestId) };
}

export function renderError(err: unknown, req: Request, res: Response): void {
  const error = toSwitchyardError(err, req);
  const facts = (req.facts ??= {});
  facts.errorCode = error.code;
  if (error.detail) facts.errorDetail = error.detail;
  for (const [name, value] of Object.entries(error.headers ?? {})) if (!res.headersSent) res.setHeader(name, value);
  if (error.retryAfterMs !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  // The OpenAI and Anthropic SDKs honour this header: a spent budget, or a call larger than a whole token limit, is not worth retrying.
  if (error.code === 'budget_exceeded' || error.code === 'tokens_over_limit') res.setHeader('x-should-retry', 'false');
  if (res.headersSent) {
    res.end();
    return;
  }
  const { status, body } = errorAnswer(error, req);
  res.status(status).json(body);
}
