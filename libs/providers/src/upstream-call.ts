import { type Provider, SwitchyardError } from '@app/contracts';
import { type Deployment, urlCredentials } from '@app/config';
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

/** What a call takes from its deployment: where it goes and the credentials it carries. */
export type UpstreamTarget = Pick<Deployment, 'apiBase' | 'apiKey' | 'headers'>;

export interface UpstreamCall {
  provider: Provider;
  deployment: UpstreamTarget;
  /** Appended to the deployment's base path, before its query: `/chat/completions`. */
  path: string;
  body: unknown;
  context: ChatCallContext;
}

/** `http://h/v1?api-version=1` + `/chat/completions` → `http://h/v1/chat/completions?api-version=1`. */
export function upstreamUrl(apiBase: string, path: string): string {
  const url = new URL(apiBase);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  return url.toString();
}

/**
 * The headers of every call of a deployment: Basic auth from credentials in its URL
 * (`user:password@`, as LiteLLM's HTTP client sends them), `Bearer <api_key>` over that, then
 * its `extra_headers`/`headers` over both (they may set `authorization`; names the gateway
 * controls were refused when the deployment was read).
 */
export function upstreamHeaders(deployment: UpstreamTarget): Record<string, string> {
  const headers: Record<string, string> = {};
  const { username, password } = new URL(deployment.apiBase);
  if (username || password) {
    headers.authorization = `Basic ${Buffer.from(`${decoded(username)}:${decoded(password)}`).toString('base64')}`;
  }
  if (deployment.apiKey) headers.authorization = `Bearer ${deployment.apiKey}`;
  return { ...headers, ...deployment.headers };
}

/** Percent-decoded, or as written when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Everything of a deployment's that must never show in a message: its key, header values, credentials in its URL. */
export function deploymentSecrets(deployment: UpstreamTarget): string[] {
  return [deployment.apiKey ?? '', ...Object.values(deployment.headers), ...urlCredentials(deployment.apiBase)].filter(Boolean);
}

/**
 * The part every adapter shares: POST within the call's deadline and return the parsed 2xx
 * body. Every failure leaves as a `SwitchyardError`.
 */
export async function callUpstream(http: UpstreamHttpClient, call: UpstreamCall): Promise<unknown> {
  const { provider } = call;
  const secrets = deploymentSecrets(call.deployment);
  let response: UpstreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postJson(upstreamUrl(call.deployment.apiBase, call.path), call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }

  if (response.status < 200 || response.status >= 300) {
    throw mapUpstreamError({ provider, status: response.status, body: response.text, headers: response.headers, secrets });
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
  const { provider } = call;
  const secrets = deploymentSecrets(call.deployment);
  let response: UpstreamStreamResponse;
  const options = postOptions(call);
  try {
    response = await http.postStream(upstreamUrl(call.deployment.apiBase, call.path), call.body, options);
  } catch (error) {
    throw toSwitchyardError(provider, error, upstreamConnectionError);
  }
  if (!response.ok) {
    throw mapUpstreamError({ provider, status: response.status, body: response.text, headers: response.headers, secrets });
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
  return { headers: upstreamHeaders(call.deployment), signal: call.context.signal, timeoutMs };
}

function toSwitchyardError(
  provider: Provider,
  error: unknown,
  connectionError: (provider: Provider, target: string, reason: string) => SwitchyardError,
): unknown {
  if (!(error instanceof UpstreamTransportError)) return error;
  return error.kind === 'timeout' ? upstreamTimeoutError(provider, error.timeoutMs) : connectionError(provider, error.target, error.reason);
}
