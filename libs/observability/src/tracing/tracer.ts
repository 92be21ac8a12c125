import { type Attributes, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

/** The tracer every span of the project comes from (a no-op until {@link startTracing} registers a provider). */
export const tracer = trace.getTracer('switchyard');

export { SpanKind, type Span, type Context, context };

/** W3C trace context as it travels in a job payload or a header set: `traceparent` and `tracestate`. */
export type TraceCarrier = Record<string, string>;

let on = false;

/** Whether this process traces: set once by {@link startTracing}; when false, callers skip span work altogether. */
export function tracingOn(): boolean {
  return on;
}

/** For {@link startTracing} only. */
export function markTracingOn(): void {
  on = true;
}

/** The active trace context as a carrier for a job payload; undefined when nothing is traced. */
export function currentTraceCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!trace.getSpan(ctx)?.isRecording()) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length ? carrier : undefined;
}

/** The context a carrier (a payload's, or request headers) continues; the root context without one. */
export function contextFrom(carrier: Record<string, unknown> | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const value = c[key];
      return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
    },
  });
}

/** Ends a span as failed, with the error's kind (a code, never a message that could hold a prompt). */
export function endWithError(span: Span, errorType: string, attributes: Attributes = {}): void {
  span.setAttributes({ 'error.type': errorType, ...attributes });
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
  span.end();
}
