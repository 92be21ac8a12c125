import { markTracingOn } from './tracer';

/** What {@link startTracing} hands back when tracing is on: flush and stop at shutdown. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** Thrown for tracing settings that cannot work, so the app stops at start with one clear line. */
export class TracingConfigError extends Error {}

/**
 * Turns on OpenTelemetry tracing for this process from the standard variables, before the app is
 * created. Off (nothing loaded, the API's no-op tracer answers every call) unless
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set and
 * `OTEL_SDK_DISABLED` is not `true`. `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` picks `http/protobuf`
 * (the default) or `http/json`; `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the
 * process (default `serviceName`); `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_BSP_*` are read by the SDK itself.
 */
export function startTracing(serviceName: string, env: Readonly<Record<string, string | undefined>> = process.env): TracingHandle | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new TracingConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use ${PROTOCOLS.join(' or ')} (OTLP over HTTP, port 4318)`);
  }
  // Loaded only when tracing is on, so a process without it carries none of the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { OTLPTraceExporter } = (
    protocol === 'http/json' ? require('@opentelemetry/exporter-trace-otlp-http') : require('@opentelemetry/exporter-trace-otlp-proto')
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const resource = resourceFromAttributes({ 'service.name': serviceName }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  // The global tracer, the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  markTracingOn();
  return { shutdown: () => provider.shutdown() };
}
