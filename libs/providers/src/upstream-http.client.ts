import { Injectable } from '@nestjs/common';
import { Agent } from 'undici';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  /** Stops the call early (deadline, shutdown, cancellation); reported like the timeout. */
  signal?: AbortSignal;
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
}

/**
 * A call that got no complete HTTP answer. Names where it went (`host:port`) and the
 * failure code, never the headers or body, so it can be shown as is.
 */
export class UpstreamTransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'connection',
    readonly target: string,
    readonly timeoutMs: number,
    /** `deadline` or `aborted` for a timeout; the system or undici code (`ECONNREFUSED`) for a connection. */
    readonly reason: string,
  ) {
    super(`${kind} calling ${target} (${reason})`);
    this.name = 'UpstreamTransportError';
  }
}

/**
 * Pooled keep-alive HTTP client for upstream calls. Create one per process and close it on
 * shutdown, after the last call has finished.
 */
@Injectable()
export class UpstreamHttpClient {
  // The per-call deadline is the only clock; undici's own 300 s timeouts would only add a second one.
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

  async postJson(url: string, body: unknown, options: PostJsonOptions): Promise<UpstreamResponse> {
    const { origin, protocol, hostname, port, pathname, search } = new URL(url);
    const target = `${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    try {
      const response = await this.agent.request({
        origin,
        path: pathname + search,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
        body: JSON.stringify(body),
        signal,
      });
      const text = await response.body.text();
      return { status: response.statusCode, headers: flattenHeaders(response.headers), text };
    } catch (error) {
      if (signal.aborted) {
        throw new UpstreamTransportError('timeout', target, options.timeoutMs, deadline.aborted ? 'deadline' : 'aborted');
      }
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') throw new UpstreamTransportError('connection', target, options.timeoutMs, code);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
