import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { endWithError, tracer, tracingOn } from '@app/observability';

/** The client span of one upstream HTTP call; ending it more than once is harmless. */
export interface UpstreamSpan {
  /** `traceparent` (and `tracestate`) for the upstream request, so the upstream can continue the trace. */
  headers: Record<string, string>;
  end(status: number): void;
  fail(errorType: string): void;
}

/**
 * A client span for an upstream call, child of the active span (the worker's job span), when the
 * process traces. Records the method, server and path (never the query, which can hold a key) and
 * the answer's status.
 */
export function startUpstreamSpan(protocol: string, hostname: string, port: string, path: string): UpstreamSpan | undefined {
  if (!tracingOn()) return undefined;
  const serverPort = Number(port) || (protocol === 'https:' ? 443 : 80);
  const span = tracer.startSpan('POST', {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': 'POST',
      'server.address': hostname,
      'server.port': serverPort,
      'url.path': path,
      'url.scheme': protocol.replace(':', ''),
    },
  });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  let ended = false;
  return {
    headers,
    end(status) {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', status);
      if (status >= 400) span.setAttributes({ 'error.type': String(status) });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
      span.end();
    },
    fail(errorType) {
      if (ended) return;
      ended = true;
      endWithError(span, errorType);
    },
  };
}
