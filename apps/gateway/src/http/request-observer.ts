import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Level, Logger } from 'pino';
import type { GatewayMetrics } from '@app/observability';
import type { GatewayDrain } from '../lifecycle/gateway-drain.service';
import { answeredStatus, routeOf } from './request-outcome';

// Probes and scrapes arrive every few seconds: their lines are debug-level.
const QUIET_ROUTES = /^\/(health\/|metrics$)/;

export interface RequestObserverOptions {
  /** Request lines go here. */
  log: Logger;
  metrics: GatewayMetrics;
  drain: GatewayDrain;
}

/** Who called: the key's alias (or its `sk-...abcd` short name), never the key. */
function callerOf(req: Request): Record<string, string> {
  const auth = req.auth;
  if (!auth) return {};
  if (auth.kind === 'master') return { auth: 'master' };
  return { auth: 'virtual', keyAlias: auth.key.keyAlias ?? auth.key.keyName };
}

/**
 * Runs first for every request: counts it as work a stopping gateway waits for, and once its
 * answer has ended (or the client went away) records its metrics and writes its one log line:
 * request id, method, route, status, latency, key alias, model, provider. Nothing of the
 * headers or bodies is logged.
 */
export function installRequestObserver(app: NestExpressApplication, { log, metrics, drain }: RequestObserverOptions): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const release = drain.hold();
    metrics.inFlight.inc();
    // A stopping gateway tells keep-alive clients to reconnect elsewhere.
    if (drain.isDraining) res.setHeader('connection', 'close');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      release();
      metrics.inFlight.dec();
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(req);
      const aborted = !res.writableFinished;
      const status = answeredStatus(res);
      const facts = req.facts ?? {};
      metrics.httpRequest({ method: req.method, route, model: facts.model ?? '', status, seconds });
      const level: Level = QUIET_ROUTES.test(route) ? 'debug' : status >= 500 ? 'warn' : 'info';
      if (!log.isLevelEnabled(level)) return;
      const latencyMs = Math.round(seconds * 1000);
      log[level](
        { reqId: req.requestId, method: req.method, route, status, latencyMs, ...callerOf(req), ...facts, ...(aborted ? { aborted: true } : {}) },
        `${req.method} ${route} ${status} ${latencyMs} ms`,
      );
    };
    // `end` runs once however many of the two come (no `once` wrappers per request).
    res.on('finish', end);
    res.on('close', end);
    next();
  });
}
