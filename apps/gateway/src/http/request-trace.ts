import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Operation } from '@app/contracts';
import { context, contextFrom, genAiRequestAttributes, genAiUsageAttributes, tracer, tracingOn } from '@app/observability';
import { answeredStatus, routeOf } from './request-outcome';

/**
 * When the gateway traces: one server span per request, continuing the client's `traceparent`.
 * Named by method and route pattern (never the raw path, which can hold a key); on its end it
 * carries the status and, for model calls, GenAI attributes from the request's facts (model,
 * provider, tokens). The worker's spans hang under it through the job payload.
 */
export function installRequestTrace(app: NestExpressApplication): void {
  if (!tracingOn()) return;
  app.use((req: Request, res: Response, next: NextFunction) => {
    const parent = contextFrom(req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    req.traceContext = trace.setSpan(parent, span);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeOf(req);
      const status = answeredStatus(res);
      const facts = req.facts ?? {};
      const attributes: Attributes = { 'http.route': route, 'http.response.status_code': status };
      if (facts.model) Object.assign(attributes, genAiRequestAttributes(operationOf(route), facts.model, req.body));
      if (facts.provider) attributes['gen_ai.provider.name'] = facts.provider;
      if (facts.deployment) attributes['switchyard.deployment'] = facts.deployment;
      Object.assign(attributes, genAiUsageAttributes({ prompt_tokens: facts.promptTokens, completion_tokens: facts.completionTokens }));
      if (facts.errorCode) attributes['error.type'] = facts.errorCode;
      span.updateName(`${req.method} ${route}`);
      span.setAttributes(attributes);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: facts.errorCode ?? String(status) });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  });
}

/** The operation a model route serves (Responses and Messages are chat underneath). */
function operationOf(route: string): Operation {
  if (route.endsWith('/embeddings')) return 'embeddings';
  if (route.endsWith('/completions') && !route.endsWith('/chat/completions')) return 'completions';
  return 'chat';
}

/**
 * Makes the request's span the active context for the routes, after the body parser (whose
 * stream callbacks would lose it), so the call path's job payload carries it to the worker.
 */
export function bindRequestTrace(app: NestExpressApplication): void {
  if (!tracingOn()) return;
  app.use((req: Request, _res: Response, next: NextFunction) => (req.traceContext ? context.with(req.traceContext, next) : next()));
}
