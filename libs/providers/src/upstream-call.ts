import { type Provider, SwitchyardError } from '@app/contracts';
import type { ChatCallContext } from './chat-provider.adapter';
import {
  malformedAnswerError,
  mapUpstreamError,
  upstreamConnectionError,
  upstreamStreamBrokenError,
  upstreamTimeoutError,
} from './upstream-error.mapper';
import {
  type PostJsonOptions,
  type UpstreamHttpClient,
  type UpstreamLines,
  type UpstreamResponse,
  type UpstreamStreamResponse,
  UpstreamTransportError,
} from './upstream-http.client';

export interface UpstreamCall {
  provider: Provider;
  url: string;
  body: unknown;
  /** Sent as `Authorization: Bearer` when set, and redacted from upstream messages. */
  apiKey?: string;
  context: ChatCallContext;
}

/**
 * The part every adapter shares: POST within the call's deadline and return the parsed 2xx
 * body. Every failure leaves as a `SwitchyardError`.
 */
export async function callUpstream(http: UpstreamHttpClient, call: UpstreamCall): Promise<unknown> {
  const { provider, apiKey } = call;
  let response: UpstreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postJson(call.url, call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }

  if (response.status < 200 || response.status >= 300) {
    throw mapUpstreamError({ provider, status: response.status, body: response.text, headers: response.headers, apiKey });
  }
  try {
    return JSON.parse(response.text);
  } catch {
    throw malformedAnswerError(provider, 'JSON');
  }
}

/**
 * The streamed counterpart of {@link callUpstream}: POST within the call's deadline and hand
 * back a 2xx body line by line. A non-2xx answer is thrown as `mapUpstreamError` maps it; a
 * transport failure, before or during the body, as a `SwitchyardError` too. The deadline
 * bounds the whole stream. Stop iterating (or `close()`) to hang up.
 */
export async function openUpstreamStream(http: UpstreamHttpClient, call: UpstreamCall): Promise<UpstreamLines> {
  const { provider, apiKey } = call;
  let response: UpstreamStreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postStream(call.url, call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }
  if (!response.ok) {
    throw mapUpstreamError({ provider, status: response.status, body: response.text, headers: response.headers, apiKey });
  }
  const { lines } = response;
  return {
    [Symbol.asyncIterator]: () => mapTransportErrors(provider, lines),
    close: () => lines.close(),
  };
}

async function* mapTransportErrors(provider: Provider, lines: UpstreamLines): AsyncGenerator<string, void, undefined> {
  try {
    yield* lines;
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamStreamBrokenError);
  }
}

/** Headers and the time left; throws a non-retryable `timeout` when the deadline has passed already. */
function postOptions(call: UpstreamCall): PostJsonOptions {
  const timeoutMs = call.context.deadline - Date.now();
  if (timeoutMs <= 0) throw new SwitchyardError('timeout', `${call.provider} upstream not called: the request's deadline had passed`);
  const headers: Record<string, string> = call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {};
  return { headers, signal: call.context.signal, timeoutMs };
}

function toSwitchyardError(
  provider: Provider,
  error: unknown,
  connectionError: (provider: Provider, target: string, reason: string) => SwitchyardError,
): unknown {
  if (!(error instanceof UpstreamTransportError)) return error;
  return error.kind === 'timeout' ? upstreamTimeoutError(provider, error.timeoutMs) : connectionError(provider, error.target, error.reason);
}
