import { urlCredentials } from '@app/contracts';

/**
 * Where a call goes and the credentials it carries: what an operation takes of a deployment
 * (config's `Deployment` is one), so providers never depend on config.
 */
export interface UpstreamTarget {
  /** The model name the upstream knows, without the provider prefix. */
  upstreamModel: string;
  /** Without a trailing slash: `https://api.openai.com/v1`, `http://localhost:11434`. */
  apiBase: string;
  apiKey?: string;
  /** Sent on every call, names in lower case; may set `authorization`. */
  headers: Readonly<Record<string, string>>;
  /** The deployment's other `litellm_params` (Ollama's `keep_alive`, …): an operation sends only the ones it names. */
  extraParams?: Readonly<Record<string, unknown>>;
}

/** How a provider reaches its upstream: the URL of an operation, and the headers of every call. */
export interface UpstreamAccess {
  url(target: UpstreamTarget, path: string): string;
  headers(target: UpstreamTarget): Record<string, string>;
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
export function upstreamHeaders(target: Pick<UpstreamTarget, 'apiBase' | 'apiKey' | 'headers'>): Record<string, string> {
  const headers: Record<string, string> = {};
  const { username, password } = new URL(target.apiBase);
  if (username || password) {
    headers.authorization = `Basic ${Buffer.from(`${decoded(username)}:${decoded(password)}`).toString('base64')}`;
  }
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  return { ...headers, ...target.headers };
}

/** The operation's path under `api_base`, Bearer or Basic auth: how OpenAI, vLLM, LM Studio and Ollama are reached. */
export const STANDARD_UPSTREAM: UpstreamAccess = {
  url: (target, path) => upstreamUrl(target.apiBase, path),
  headers: upstreamHeaders,
};

/** Percent-decoded, or as written when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Everything of a target's that must never show in a message: its key, header values, credentials in its URL. */
export function targetSecrets(target: Pick<UpstreamTarget, 'apiBase' | 'apiKey' | 'headers'>): string[] {
  return [target.apiKey ?? '', ...Object.values(target.headers), ...urlCredentials(target.apiBase)].filter(Boolean);
}
