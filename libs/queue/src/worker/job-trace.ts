import { SpanKind, trace } from '@opentelemetry/api';
import { DelayedError, type Job, WaitingError } from 'bullmq';
import { type ChatJobPayload, type ChatJobResult, SwitchyardError } from '@app/contracts';
import { context, contextFrom, endWithError, genAiRequestAttributes, genAiResponseAttributes, tracer, tracingOn } from '@app/observability';

/**
 * When the worker traces: runs one turn with a job inside a consumer span that continues the
 * gateway's trace from the payload, after a span for the time the job waited in its queue (on
 * its first turn). Upstream calls made meanwhile become its children. Without tracing, `run` as is.
 */
export async function traceJobTurn(job: Job<ChatJobPayload, ChatJobResult>, queue: string, run: () => Promise<ChatJobResult>): Promise<ChatJobResult> {
  if (!tracingOn()) return run();
  const payload = job.data;
  const parent = contextFrom(payload.trace);
  const messaging = { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.message.id': payload.callId };
  if (job.attemptsStarted <= 1 && typeof payload.enqueuedAt === 'number') {
    tracer
      .startSpan(`wait ${queue}`, { kind: SpanKind.INTERNAL, startTime: payload.enqueuedAt, attributes: messaging }, parent)
      .end(job.processedOn ?? Date.now());
  }
  const attributes = {
    ...messaging,
    ...genAiRequestAttributes(payload.operation ?? 'chat', payload.modelName, payload.request),
    'switchyard.attempt': job.attemptsMade + 1,
  };
  const span = tracer.startSpan(`process ${queue}`, { kind: SpanKind.CONSUMER, attributes }, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), run);
    span.setAttributes(genAiResponseAttributes(result.completion, result.usage));
    if (result.cancelled) span.setAttribute('switchyard.cancelled', true);
    span.end();
    return result;
  } catch (err) {
    // Waiting for its deployment's limits, or put back by a stopping worker: not a failure.
    if (err instanceof DelayedError || err instanceof WaitingError) {
      span.setAttribute('switchyard.postponed', true);
      span.end();
    } else {
      endWithError(span, err instanceof SwitchyardError ? err.code : ((err as Error)?.name ?? 'Error'));
    }
    throw err;
  }
}
