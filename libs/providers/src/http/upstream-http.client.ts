import { Injectable } from '@nestjs/common';
import type { Agent } from 'undici';
import { type UpstreamSpan, startUpstreamSpan } from './upstream-span';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  /** Stops the call early (deadline, shutdown, cancellation); reported like the timeout. */
  signal?: AbortSignal;
  /** For a stream, the deadline of the whole answer, not only of its first byte. */
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  text: string;
}

/**
 * A streamed answer's body, line by line, without the line breaks (`\n` or `\r\n`). Iterate it
 * once. Stopping the iteration early (`break`, `return()`) or calling `close()` hangs up.
 * A transport failure mid-body is thrown from the iteration as an {@link UpstreamTransportError}.
 */
export interface UpstreamLines extends AsyncIterable<string> {
  /** Hangs up unless the body has been read to its end; safe to call more than once. */
  close(): void;
}

/** What {@link UpstreamHttpClient.postStream} returns: a 2xx answer to read line by line, or any other answer whole. */
export type UpstreamStreamResponse =
  | { ok: true; status: number; headers: Record<string, string>; lines: UpstreamLines }
  | { ok: false; status: number; headers: Record<string, string>; text: string };

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
  private readonly agent = new (undiciAgent())({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

  async postJson(url: string, body: unknown, options: PostJsonOptions): Promise<UpstreamResponse> {
    const call = startCall(url, options);
    try {
      const response = await this.agent.request({
        ...call.request,
        // The caller's headers never replace the two that say how the body is framed and read.
        headers: { ...options.headers, ...call.span?.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.body.text();
      call.span?.end(response.statusCode);
      return { status: response.statusCode, headers: flattenHeaders(response.headers), text };
    } catch (error) {
      throw call.transportError(error);
    } finally {
      call.settle();
    }
  }

  /**
   * POSTs JSON and hands back a 2xx body as it arrives, line by line; any other answer is read
   * whole, for error mapping. `timeoutMs` bounds the whole call, to the last line. Aborting
   * `signal` or the deadline passing mid-body destroys the connection and fails the iteration.
   */
  async postStream(url: string, body: unknown, options: PostJsonOptions): Promise<UpstreamStreamResponse> {
    const call = startCall(url, options);
    try {
      const response = await this.agent.request({
        ...call.request,
        headers: { ...options.headers, ...call.span?.headers, 'content-type': 'application/json', accept: '*/*' },
        body: JSON.stringify(body),
      });
      const status = response.statusCode;
      const headers = flattenHeaders(response.headers);
      if (status < 200 || status >= 300) {
        const text = await response.body.text();
        call.span?.end(status);
        call.settle();
        return { ok: false, status, headers, text };
      }

      const responseBody = response.body;
      let iterated = false;
      const lines: UpstreamLines = {
        [Symbol.asyncIterator]: () => {
          if (iterated) throw new Error('an upstream stream can be read only once');
          iterated = true;
          return readLinesOf(
            responseBody,
            (error) => call.transportError(error),
            () => {
              call.span?.end(status);
              call.settle();
            },
          );
        },
        // A body read to its end is left alone, so its connection goes back to the pool.
        close: () => {
          if (!responseBody.readableEnded) responseBody.destroy();
          call.span?.end(status);
          call.settle();
        },
      };
      return { ok: true, status, headers, lines };
    } catch (error) {
      call.settle();
      throw call.transportError(error);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * undici, loaded when the first client is made (in the workers). The gateway reaches this file
 * through the provider registry that @app/config reads but never calls an upstream, and undici's
 * entry point costs some 4 MB of heap in every process that loads it.
 */
function undiciAgent(): typeof Agent {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('undici') as typeof import('undici')).Agent;
}

/**
 * Text lines of a byte stream: UTF-8 decoded across chunk boundaries, split on `\n` with a
 * trailing `\r` dropped, a last line without a break included, a leading BOM dropped.
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    if (!pending.includes('\n')) continue;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) yield withoutCarriageReturn(line);
  }
  pending += decoder.decode();
  if (pending !== '') yield withoutCarriageReturn(pending);
}

async function* readLinesOf(
  body: AsyncIterable<Uint8Array>,
  transportError: (error: unknown) => unknown,
  ended: () => void,
): AsyncGenerator<string, void, undefined> {
  try {
    // Returning early from here returns the body's iterator, which destroys the body and its socket.
    yield* splitLines(body);
  } catch (error) {
    throw transportError(error);
  } finally {
    ended();
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The request options and error mapping shared by both kinds of call. One abort controller per
 * call carries both the caller's signal and the deadline (a timer, cleared by `settle` once the
 * answer is read): cheaper than a timeout signal combined with the caller's.
 */
function startCall(url: string, options: PostJsonOptions) {
  const { origin, protocol, hostname, port, pathname, search } = new URL(url);
  const target = `${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`;
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException('The upstream call reached its deadline', 'TimeoutError'));
  }, options.timeoutMs);
  timer.unref();
  const caller = options.signal;
  const relay = () => controller.abort(caller?.reason);
  if (caller?.aborted) relay();
  else caller?.addEventListener('abort', relay, { once: true });
  const span: UpstreamSpan | undefined = startUpstreamSpan(protocol, hostname, port, pathname);
  return {
    request: { origin, path: pathname + search, method: 'POST' as const, signal: controller.signal },
    span,
    /** The answer is read (or the call failed): the deadline's timer and the caller's listener go. Safe to call more than once. */
    settle(): void {
      clearTimeout(timer);
      caller?.removeEventListener('abort', relay);
    },
    /** The error to throw for one caught during the call: transport failures named, anything else as is. */
    transportError(error: unknown): unknown {
      const mapped = transportErrorOf(error);
      span?.fail(mapped instanceof UpstreamTransportError ? mapped.kind : 'error');
      return mapped;
    },
  };

  function transportErrorOf(error: unknown): unknown {
    if (controller.signal.aborted) {
      return new UpstreamTransportError('timeout', target, options.timeoutMs, expired ? 'deadline' : 'aborted');
    }
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return new UpstreamTransportError('connection', target, options.timeoutMs, code);
    return error;
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
