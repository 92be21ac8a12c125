import { SwitchyardError } from '@app/contracts';

const CHAT_LIMIT = /\bmax_(?:completion_)?tokens\b/g;

/**
 * An error of the shared call path in the Responses API's words: the key's limits and the
 * backends speak of chat's `max_tokens` where a Responses client set `max_output_tokens`.
 */
export function inResponsesTerms(err: unknown): unknown {
  if (!(err instanceof SwitchyardError)) return err;
  const param = err.param?.replace(CHAT_LIMIT, 'max_output_tokens') ?? null;
  const message = err.message.replace(CHAT_LIMIT, 'max_output_tokens');
  if (param === err.param && message === err.message) return err;
  return new SwitchyardError(err.code, message, {
    param,
    status: err.status,
    retryable: err.retryable,
    retryAfterMs: err.retryAfterMs,
    usage: err.usage,
    headers: err.headers,
    fault: err.fault,
    upstreamStatus: err.upstreamStatus,
    detail: err.detail,
  });
}
