import { type DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, type EnvSource, WorkerConfig, readProcessEnv } from '@app/config';
import type { Provider } from '@app/contracts';
import { createLogger } from '@app/observability';

export interface WorkerDefaults {
  healthPort: number;
  concurrency: number;
}

/** Builds a worker app (health endpoints not yet listening). Tests call this with their own env. */
export async function createWorkerApp(
  provider: Provider,
  defaults: WorkerDefaults,
  source: EnvSource,
  moduleFor: (config: WorkerConfig) => DynamicModule,
): Promise<{ app: NestExpressApplication; config: WorkerConfig }> {
  const config = WorkerConfig.load(provider, source, defaults);
  const logger = createLogger(`worker-${provider}`, config.env.LOG_LEVEL, config.env.LOG_FORMAT);
  const app = await NestFactory.create<NestExpressApplication>(moduleFor(config), { logger, bodyParser: false });
  app.enableShutdownHooks();
  return { app, config };
}

/** `main.ts` of a worker: load config (stop with a clear message if it is wrong), start, serve health. */
export async function runWorker(
  provider: Provider,
  defaults: WorkerDefaults,
  moduleFor: (config: WorkerConfig) => DynamicModule,
): Promise<void> {
  try {
    const { app, config } = await createWorkerApp(provider, defaults, readProcessEnv(), moduleFor);
    await app.listen(config.env.HEALTH_PORT, config.env.HOST);
    Logger.log(`health on http://${config.env.HOST}:${config.env.HEALTH_PORT}/health/readiness`, `worker-${provider}`);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`worker-${provider}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
