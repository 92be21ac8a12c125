import type { CompletionUsage, OpenAIErrorBody } from './openai-wire';

/**
 * Whose doing a failure is. It decides what happens next, in one place for every code:
 * - `caller`: the request or the caller's key (bad shape, unknown model, limits, an upstream 4xx
 *   about the request). The caller gets it; no other deployment is tried; it never counts against one.
 * - `deployment`: the deployment failed or is saturated (upstream 5xx, 429, timeouts, connection
 *   errors, rejected credentials, no worker). Another deployment is tried; it counts toward cooldown.
 * - `capacity`: the deployment is healthy but has no room for this call (its queue is full, the call
 *   needs more than its tpm). Another deployment is tried; it does not count toward cooldown.
 * - `gateway`: Switchyard itself (a bug, Redis unreachable). Neither tried elsewhere nor counted.
 */
export type Fault = 'caller' | 'deployment' | 'capacity' | 'gateway';
const FAULTS: readonly string[] = ['caller', 'deployment', 'capacity', 'gateway'] satisfies Fault[];

/**
 * The one error vocabulary of Switchyard. Every failure the gateway answers, and every
 * failure a worker hands back through the queue, is one of these codes. `fault` is the usual
 * one for the code; an error may say otherwise (e.g. a key's own rate limit is the caller's).
 */
export const ERROR_TABLE = {
  invalid_request: { status: 400, type: 'invalid_request_error', fault: 'caller' },
  invalid_api_key: { status: 401, type: 'authentication_error', fault: 'caller' },
  missing_api_key: { status: 401, type: 'authentication_error', fault: 'caller' },
  expired_api_key: { status: 401, type: 'authentication_error', fault: 'caller' },
  blocked_api_key: { status: 401, type: 'authentication_error', fault: 'caller' },
  model_not_allowed: { status: 403, type: 'permission_error', fault: 'caller' },
  admin_only: { status: 403, type: 'permission_error', fault: 'caller' },
  model_not_found: { status: 404, type: 'not_found_error', fault: 'caller' },
  not_found: { status: 404, type: 'not_found_error', fault: 'caller' },
  request_too_large: { status: 413, type: 'invalid_request_error', fault: 'caller' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error', fault: 'caller' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error', fault: 'deployment' },
  // Retrying does not help until the budget resets or is raised: clients are told not to (x-should-retry: false).
  budget_exceeded: { status: 429, type: 'budget_exceeded', fault: 'caller' },
  queue_full: { status: 429, type: 'rate_limit_error', fault: 'capacity' },
  // The call alone needs more tokens than the deployment's tpm: it can never run there.
  tokens_over_limit: { status: 429, type: 'rate_limit_error', fault: 'capacity' },
  // Never sent: the client is gone. Logged and counted with nginx's status for it.
  client_closed: { status: 499, type: 'client_closed', fault: 'caller' },
  internal_error: { status: 500, type: 'api_error', fault: 'gateway' },
  upstream_error: { status: 502, type: 'api_error', fault: 'deployment' },
  upstream_unavailable: { status: 503, type: 'api_error', fault: 'deployment' },
  service_unavailable: { status: 503, type: 'api_error', fault: 'gateway' },
  no_worker_available: { status: 503, type: 'api_error', fault: 'deployment' },
  timeout: { status: 504, type: 'timeout_error', fault: 'deployment' },
} as const satisfies Record<string, { status: number; type: string; fault: Fault }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** What crosses Redis when a job fails: small, typed, never a stack trace. */
export interface WireError {
  code: ErrorCode;
  status: number;
  message: string;
  param?: string | null;
  retryable?: boolean;
  retryAfterMs?: number;
  /** What a call that failed after part of its answer went out had used: the upstream's count, else an estimate. */
  usage?: CompletionUsage | null;
  /** Absent from workers older than this field: the code's usual fault applies. */
  fault?: Fault;
  /** The HTTP status the upstream answered, when this error is its answer; absent when no upstream saw the call. */
  upstreamStatus?: number;
}

export interface SwitchyardErrorOptions {
  param?: string | null;
  /** Overrides the table's status, e.g. to keep an upstream's exact 4xx. */
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
  /** See {@link WireError.usage}. */
  usage?: CompletionUsage | null;
  /** Extra response headers (e.g. x-ratelimit-*); never sent through the queue. */
  headers?: Record<string, string>;
  /** Overrides the code's usual fault. */
  fault?: Fault;
  upstreamStatus?: number;
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
  readonly usage?: CompletionUsage | null;
  readonly headers?: Record<string, string>;
  readonly fault: Fault;
  readonly upstreamStatus?: number;
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
    this.usage = options.usage;
    this.headers = options.headers;
    this.fault = options.fault ?? ERROR_TABLE[code].fault;
    this.upstreamStatus = options.upstreamStatus;
    this.detail = options.detail;
  }

  /** The same error with these headers too (its own win): e.g. a key's x-ratelimit-* on any failure of its call. */
  withHeaders(headers: Record<string, string>): SwitchyardError {
    // Own properties as they are (an Error's message and stack are not enumerable), headers merged.
    const copy = Object.create(Object.getPrototypeOf(this) as object, Object.getOwnPropertyDescriptors(this)) as SwitchyardError;
    Object.defineProperty(copy, 'headers', { value: { ...headers, ...this.headers }, enumerable: true });
    return copy;
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
      ...(this.usage ? { usage: this.usage } : {}),
      fault: this.fault,
      upstreamStatus: this.upstreamStatus,
    };
  }

  static fromWire(wire: WireError): SwitchyardError {
    const code: ErrorCode = wire.code in ERROR_TABLE ? wire.code : 'internal_error';
    return new SwitchyardError(code, wire.message, {
      param: wire.param,
      status: wire.status,
      retryable: wire.retryable,
      retryAfterMs: wire.retryAfterMs,
      usage: wire.usage,
      fault: FAULTS.includes(wire.fault as string) ? wire.fault : undefined,
      upstreamStatus: wire.upstreamStatus,
    });
  }
}
