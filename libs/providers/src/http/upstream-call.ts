import { SwitchyardError } from '@app/contracts';
import type { ChatCallContext } from '../chat-operation';
import type { ProviderUpstream } from '../provider-descriptor';
import { type UpstreamTarget, targetSecrets } from '../upstream-target';
import {
  type UpstreamErrorAnswer,
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
  provider: ProviderUpstream;
  target: UpstreamTarget;
  /** Appended to the target's base path, before its query: `/chat/completions`. */
  path: string;
  body: unknown;
  context: ChatCallContext;
}

/**
 * The part every adapter shares: POST within the call's deadline and return the parsed 2xx
 * body. Every failure leaves as a `SwitchyardError`.
 */
export async function callUpstream(http: UpstreamHttpClient, call: UpstreamCall): Promise<unknown> {
  const provider = call.provider.name;
  const secrets = targetSecrets(call.target);
  let response: UpstreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postJson(call.provider.upstream.url(call.target, call.path), call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }

  if (response.status < 200 || response.status >= 300) {
    throw errorAnswer(call, { provider, status: response.status, body: response.text, headers: response.headers, secrets });
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
  const provider = call.provider.name;
  const secrets = targetSecrets(call.target);
  let response: UpstreamStreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postStream(call.provider.upstream.url(call.target, call.path), call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }
  if (!response.ok) {
    throw errorAnswer(call, { provider, status: response.status, body: response.text, headers: response.headers, secrets });
  }
  const { lines } = response;
  return {
    [Symbol.asyncIterator]: () => mapTransportErrors(provider, lines),
    close: () => lines.close(),
  };
}

/** A non-2xx answer as the error to throw: the generic mapping, refined by the provider's own where it has one. */
function errorAnswer(call: UpstreamCall, answer: UpstreamErrorAnswer): SwitchyardError {
  const mapped = mapUpstreamError(answer);
  return call.provider.refineError?.(mapped, answer, call.target) ?? mapped;
}

async function* mapTransportErrors(provider: string, lines: UpstreamLines): AsyncGenerator<string, void, undefined> {
  try {
    yield* lines;
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamStreamBrokenError);
  }
}

/** Headers and the time left; throws a non-retryable `timeout` when the deadline has passed already. */
function postOptions(call: UpstreamCall): PostJsonOptions {
  const timeoutMs = call.context.deadline - Date.now();
  if (timeoutMs <= 0) throw new SwitchyardError('timeout', `${call.provider.name} upstream not called: the request's deadline had passed`);
  return { headers: call.provider.upstream.headers(call.target), signal: call.context.signal, timeoutMs };
}

function toSwitchyardError(provider: string, error: unknown, connectionError: (provider: string, target: string, reason: string) => SwitchyardError): unknown {
  if (!(error instanceof UpstreamTransportError)) return error;
  return error.kind === 'timeout' ? upstreamTimeoutError(provider, error.timeoutMs) : connectionError(provider, error.target, error.reason);
}
