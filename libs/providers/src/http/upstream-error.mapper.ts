import { SwitchyardError, internalFailure, maskUrlsIn } from '@app/contracts';
import { isRecord } from '../is-record';

export interface UpstreamErrorAnswer {
  provider: string;
  status: number;
  body: string;
  /** Lower-case names, as {@link UpstreamHttpClient} returns them. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The deployment's credentials (key, header values, those in its URL): redacted wherever the upstream echoes them. */
  secrets?: readonly string[];
  /** Epoch milliseconds, to turn a `retry-after` date into a delay. */
  now?: number;
}

// Upstream messages end up in client answers and logs; a page-long one helps nobody.
const MAX_MESSAGE_LENGTH = 1000;

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\bsk-[A-Za-z0-9_*-]{8,}/g, 'sk-[redacted]'],
  [/\bBearer\s+[^\s"',]+/gi, 'Bearer [redacted]'],
];

/** Maps a non-2xx upstream answer to the error the client sees, keeping the upstream's words minus any secret. */
export function mapUpstreamError(answer: UpstreamErrorAnswer): SwitchyardError {
  const { provider, status } = answer;
  const detail = readErrorDetail(answer.body);
  const said = detail.message ? truncate(redactSecrets(detail.message, answer.secrets)) : undefined;
  const message = said ? `${provider} upstream: ${said}` : `${provider} upstream answered HTTP ${status}`;
  const param = detail.param;
  const retryAfterMs = parseRetryAfterMs(answer.headers, answer.now);

  // Every one carries the upstream's status: the gateway knows the upstream saw the call.
  const seen = { upstreamStatus: status };
  // About the request itself (bad field, unknown model, too large, unprocessable): the caller's, never the deployment's.
  if (status === 400 || status === 422) return new SwitchyardError('invalid_request', message, { param, ...seen });
  if (status === 404) return new SwitchyardError('model_not_found', message, { param, ...seen });
  if (status === 401 || status === 403) {
    // The client's virtual key was fine; the deployment's credentials are an operator problem.
    const rejected = `${provider} upstream rejected the deployment's credentials (HTTP ${status})`;
    return new SwitchyardError('upstream_error', said ? `${rejected}: ${said}` : rejected, seen);
  }
  if (status === 408) return new SwitchyardError('timeout', message, { retryable: true, ...seen });
  if (status === 429) {
    // A spent quota does not come back by waiting a few seconds.
    const retryable = detail.code !== 'insufficient_quota';
    return new SwitchyardError('rate_limit_exceeded', message, { retryable, retryAfterMs, ...seen });
  }
  if (status === 503) return new SwitchyardError('upstream_unavailable', message, { retryable: true, retryAfterMs, ...seen });
  if (status >= 500) return new SwitchyardError('upstream_error', message, { retryable: true, ...seen });
  if (status >= 400) return new SwitchyardError('invalid_request', message, { param, status, ...seen });
  return new SwitchyardError('upstream_error', message, seen);
}

/**
 * An error object the upstream sent inside a 2xx stream (OpenAI's `data: {"error":{...}}`,
 * Ollama's `{"error":"..."}` line): its message kept, minus any secret.
 */
export function mapUpstreamStreamError(provider: string, body: unknown, secrets?: readonly string[]): SwitchyardError {
  const detail = readErrorDetailOf(body);
  const said = detail.message ? truncate(redactSecrets(detail.message, secrets)) : undefined;
  return new SwitchyardError('upstream_error', said ? `${provider} upstream: ${said}` : `${provider} upstream failed while streaming its answer`);
}

/** A streamed answer whose body ended before the upstream said it was complete. */
export function incompleteStreamError(provider: string): SwitchyardError {
  return new SwitchyardError('upstream_error', `${provider} upstream ended its streamed answer before it was complete`, { retryable: true });
}

/** The connection broke while a streamed answer was arriving; `target` (`host:port`) and `reason` are for the log only. */
export function upstreamStreamBrokenError(provider: string, target: string, reason: string): SwitchyardError {
  return internalFailure('upstream_error', `${provider} upstream broke off its streamed answer`, `${target}: ${reason}`, { retryable: true });
}

/** The upstream gave no HTTP answer in time (or the call was stopped). */
export function upstreamTimeoutError(provider: string, timeoutMs: number): SwitchyardError {
  return new SwitchyardError('timeout', `${provider} upstream did not answer within ${timeoutMs} ms`, { retryable: true });
}

/** The upstream could not be reached; `target` (`host:port`, never the URL with its credentials) and `reason` are for the log only. */
export function upstreamConnectionError(provider: string, target: string, reason: string): SwitchyardError {
  return internalFailure('upstream_error', `${provider} upstream could not be reached`, `${target}: ${reason}`, { retryable: true });
}

/** The upstream answered 2xx with something the adapter cannot use. */
export function malformedAnswerError(provider: string, expected: string): SwitchyardError {
  return new SwitchyardError('upstream_error', `${provider} upstream answered with something that is not ${expected}`);
}

/** Shorter values are too likely to be ordinary words of the message to be cut out of it. */
const MIN_REDACTED_LENGTH = 6;

/** Upstream text minus the deployment's credentials, anything shaped like a key, and credentials in URLs. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let redacted = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...secrets].filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length)) {
    redacted = redacted.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) redacted = redacted.replace(pattern, replacement);
  return maskUrlsIn(redacted);
}

/** From OpenAI's `retry-after-ms`, else the standard `retry-after` (seconds or an HTTP date). */
export function parseRetryAfterMs(headers: Readonly<Record<string, string | undefined>>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms']?.trim();
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.ceil(Number(ms));
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface ErrorDetail {
  message?: string;
  param: string | null;
  code: string | null;
}

/** OpenAI's `{error:{message,param,code}}` or Ollama's `{error:"..."}`; anything else has no detail. */
function readErrorDetail(body: string): ErrorDetail {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { param: null, code: null };
  }
  return readErrorDetailOf(parsed);
}

function readErrorDetailOf(parsed: unknown): ErrorDetail {
  const none: ErrorDetail = { param: null, code: null };
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (typeof error === 'string') return { ...none, message: error || undefined };
  if (!isRecord(error) || typeof error.message !== 'string') return none;
  return {
    message: error.message || undefined,
    param: typeof error.param === 'string' ? error.param : null,
    code: typeof error.code === 'string' ? error.code : null,
  };
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}
