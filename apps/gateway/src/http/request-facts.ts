/**
 * What a request's log line and metrics say beyond method, route and status, filled in while
 * it is handled. Never a key, a header or a message text.
 */
export interface RequestFacts {
  /** The requested model, once it is known to be a configured one. */
  model?: string;
  /** Which deployment served the call (or failed last). */
  provider?: string;
  deployment?: string;
  stream?: boolean;
  promptTokens?: number;
  completionTokens?: number;
  /** The error code answered, if any. */
  errorCode?: string;
  /** What went wrong inside (a driver's message, an address), which the answer does not show. */
  errorDetail?: string;
}
