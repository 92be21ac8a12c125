import type { NestExpressApplication } from '@nestjs/platform-express';
import type { LoggerService } from '@nestjs/common';
import { GatewayDrain } from './gateway-drain.service';

export interface GatewayShutdownOptions {
  /** Readiness answers 503 this long before the listener closes, so load balancers stop sending. */
  delayMs: number;
  /** From the signal: how long requests and streams in progress may take to finish. */
  graceMs: number;
  logger: LoggerService;
}

// Keep-alive connections outlive `server.close()`; each is closed as soon as it has no request.
const IDLE_SWEEP_MS = 100;

/**
 * SIGTERM: readiness turns 503 at once; after `delayMs` the listener closes (new connections are
 * refused) and idle keep-alive connections are closed; requests and streams in progress finish,
 * up to `graceMs` after the signal, after which the rest are cut off; then the app closes
 * (queue listeners, Redis, spend log flushed, Postgres).
 */
export async function shutDownGateway(app: NestExpressApplication, options: GatewayShutdownOptions): Promise<void> {
  const { logger } = options;
  const drain = app.get(GatewayDrain);
  const server = app.getHttpServer();
  const deadline = Date.now() + options.graceMs;
  drain.begin();
  logger.log(
    `stopping: readiness answers 503; ${drain.inProgress} requests in progress; listener closes in ${options.delayMs / 1000} s; waiting up to ${options.graceMs / 1000} s in all`,
    'Shutdown',
  );
  if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(options.delayMs, options.graceMs)));

  server.close();
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const finished = await drain.idle(Math.max(0, deadline - Date.now()));
  clearInterval(sweep);
  if (!finished) {
    logger.warn(`grace period over: cutting off ${drain.inProgress} requests still in progress`, 'Shutdown');
    server.closeAllConnections();
  }
  await app.close();
  logger.log('stopped', 'Shutdown');
}
