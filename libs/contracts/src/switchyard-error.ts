import type { OpenAIErrorBody } from './openai-wire';

/**
 * The one error vocabulary of Switchyard. Every failure the gateway answers, and every
 * failure a worker hands back through the queue, is one of these codes.
 */
export const ERROR_TABLE = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  missing_api_key: { status: 401, type: 'authentication_error' },
  expired_api_key: { status: 401, type: 'authentication_error' },
  blocked_api_key: { status: 401, type: 'authentication_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  admin_only: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'not_found_error' },
  not_found: { status: 404, type: 'not_found_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  // Retrying does not help until the budget resets or is raised: clients are told not to (x-should-retry: false).
  budget_exceeded: { status: 429, type: 'budget_exceeded' },
  queue_full: { status: 429, type: 'rate_limit_error' },
  // The call alone needs more tokens than the deployment's tpm: it can never run there.
  tokens_over_limit: { status: 429, type: 'rate_limit_error' },
  // Never sent: the client is gone. Logged and counted with nginx's status for it.
  client_closed: { status: 499, type: 'client_closed' },
  internal_error: { status: 500, type: 'api_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_unavailable: { status: 503, type: 'api_error' },
  service_unavailable: { status: 503, type: 'api_error' },
  no_worker_available: { status: 503, type: 'api_error' },
  timeout: { status: 504, type: 'timeout_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** What crosses Redis when a job fails: small, typed, never a stack trace. */
export interface WireError {
  code: ErrorCode;
  status: number;
  message: string;
  param?: string | null;
  retryable?: boolean;
  retryAfterMs?: number;
}

export interface SwitchyardErrorOptions {
  param?: string | null;
  /** Overrides the table's status, e.g. to keep an upstream's exact 4xx. */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  /** Extra response headers (e.g. x-ratelimit-*); never sent through the queue. */
  headers?: Record<string, string>;
  /**
   * What went wrong inside (a driver's message, an address, an error name), for the log: never
   * rendered, never sent through the queue. Build errors that have one with `internalFailure`.
   */
  detail?: string;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly headers?: Record<string, string>;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message);
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = options.status ?? ERROR_TABLE[code].status;
    this.type = ERROR_TABLE[code].type;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers;
    this.detail = options.detail;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  toWire(): WireError {
    return {
      code: this.code,
      status: this.status,
      message: this.message,
      param: this.param,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
    };
  }

  static fromWire(wire: WireError): SwitchyardError {
    const code: ErrorCode = wire.code in ERROR_TABLE ? wire.code : 'internal_error';
    return new SwitchyardError(code, wire.message, {
      param: wire.param,
      status: wire.status,
      retryable: wire.retryable,
      retryAfterMs: wire.retryAfterMs,
    });
  }
}
