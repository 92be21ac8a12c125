import type { SwitchyardError } from '@app/contracts';

/** Anthropic's error body: `{type: "error", error: {type, message}, request_id}`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

/** Anthropic's error types by status; any other 4xx is an `invalid_request_error`, any other 5xx an `api_error`. */
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** Anthropic's status for "the API is overloaded": what a full backend queue is to its clients (and their SDKs retry it). */
const OVERLOADED = 529;

/** Anthropic's Messages API is served under `/v1/messages`: every answer there, errors included, is in Anthropic's shape. */
export function isMessagesApiPath(path: string): boolean {
  return path === '/v1/messages' || path.startsWith('/v1/messages/');
}

/**
 * An error as Anthropic's clients expect it: Anthropic's status and body. A full queue is 529
 * `overloaded_error`; every other error keeps its status. A 5xx message ends with the request id,
 * as the OpenAI-shaped answer's does.
 */
export function messagesErrorAnswer(error: SwitchyardError, requestId: string): { status: number; body: AnthropicErrorBody } {
  const status = error.code === 'queue_full' ? OVERLOADED : error.status;
  const type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  // As on every route: a failure inside (not a full queue) names the request id its log lines carry.
  const message = error.status >= 500 ? `${error.message} (request id ${requestId})` : error.message;
  return { status, body: { type: 'error', error: { type, message }, request_id: requestId } };
}
