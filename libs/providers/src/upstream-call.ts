import { type Provider, SwitchyardError } from '@app/contracts';
import type { ChatCallContext } from './chat-provider.adapter';
import { malformedAnswerError, mapUpstreamError, upstreamConnectionError, upstreamTimeoutError } from './upstream-error.mapper';
import { type UpstreamHttpClient, type UpstreamResponse, UpstreamTransportError } from './upstream-http.client';

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
  const { provider, apiKey, context } = call;
  const timeoutMs = context.deadline - Date.now();
  if (timeoutMs <= 0) throw new SwitchyardError('timeout', `${provider} upstream not called: the request's deadline had passed`);

  let response: UpstreamResponse;
  try {
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    response = await http.postJson(call.url, call.body, { headers, signal: context.signal, timeoutMs });
  } catch (error) {
    if (!(error instanceof UpstreamTransportError)) throw error;
    throw error.kind === 'timeout'
      ? upstreamTimeoutError(provider, error.timeoutMs)
      : upstreamConnectionError(provider, error.target, error.reason);
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
