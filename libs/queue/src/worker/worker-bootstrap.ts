import { type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, type EnvSource, WorkerConfig, readProcessEnv } from '@app/config';
import type { Wire } from '@app/contracts';
import { type AppLogger, TracingConfigError, createLogger, exitAfterStopSignal, startTracing } from '@app/observability';

export interface WorkerDefaults {
  healthPort: number;
  concurrency: number;
}

/** Builds the worker app of a wire (health endpoints not yet listening). Tests call this with their own env. */
export async function createWorkerApp(
  wire: Wire,
  defaults: WorkerDefaults,
  source: EnvSource,
  moduleFor: (config: WorkerConfig) => DynamicModule,
): Promise<{ app: NestExpressApplication; config: WorkerConfig; logger: AppLogger }> {
  const config = WorkerConfig.load(wire, source, defaults);
  const logger = createLogger(`worker-${wire}`, config.env.LOG_LEVEL, config.env.LOG_FORMAT);
  const app = await NestFactory.create<NestExpressApplication>(moduleFor(config), { logger, bodyParser: false });
  return { app, config, logger };
}

/**
 * `main.ts` of a worker: load config (stop with a clear message if it is wrong), start, serve
 * health and metrics. SIGTERM: readiness turns 503, no new jobs are taken, those in hand
 * finish within SHUTDOWN_GRACE (the rest go back to the queue), then the process exits 0.
 */
export async function runWorker(wire: Wire, defaults: WorkerDefaults, moduleFor: (config: WorkerConfig) => DynamicModule): Promise<void> {
  try {
    const tracing = startTracing(`switchyard-worker-${wire}`);
    const { app, config, logger } = await createWorkerApp(wire, defaults, readProcessEnv(), moduleFor);
    await app.listen(config.env.HEALTH_PORT, config.env.HOST);
    logger.log(`health and metrics on http://${config.env.HOST}:${config.env.HEALTH_PORT} (/health/readiness, /metrics)`, `worker-${wire}`);
    const shutDown = async () => {
      await app.close();
      await tracing?.shutdown();
    };
    exitAfterStopSignal(shutDown, { logger, graceMs: config.env.SHUTDOWN_GRACE * 1000 });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof TracingConfigError) {
      process.stderr.write(`worker-${wire}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
