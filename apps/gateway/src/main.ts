import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, parseDatabaseEnv, readProcessEnv } from '@app/config';
import { dataSourceOptions, redactDatabaseUrl, runMigrationsWithLock } from '@app/database';
import { TracingConfigError, exitAfterStopSignal, startTracing } from '@app/observability';
import { createGatewayApp } from './create-gateway-app';
import { shutDownGateway } from './lifecycle/gateway-shutdown';

/** `node main.js migrate`: apply pending migrations and exit. */
async function migrate(): Promise<void> {
  const { DATABASE_URL } = parseDatabaseEnv(readProcessEnv());
  const dataSource = await new DataSource(dataSourceOptions(DATABASE_URL)).initialize();
  try {
    const applied = await runMigrationsWithLock(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}\n` : 'database is up to date\n');
  } finally {
    await dataSource.destroy();
  }
  process.stdout.write(`database: ${redactDatabaseUrl(DATABASE_URL)}\n`);
}

async function serve(): Promise<void> {
  // Before the app is built, so that it finds tracing on.
  const tracing = startTracing('switchyard-gateway');
  const { app, config, logger } = await createGatewayApp(readProcessEnv());
  await app.listen(config.env.PORT, config.env.HOST);
  logger.log(`listening on http://${config.env.HOST}:${config.env.PORT} (try GET /health/readiness)`, 'Gateway');
  const graceMs = config.env.SHUTDOWN_GRACE * 1000;
  const shutDown = async () => {
    await shutDownGateway(app, { delayMs: config.env.SHUTDOWN_DELAY * 1000, graceMs, logger });
    await tracing?.shutdown();
  };
  exitAfterStopSignal(shutDown, { logger, graceMs });
}

(process.argv[2] === 'migrate' ? migrate() : serve()).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof TracingConfigError) {
    process.stderr.write(`gateway: ${err.message}\n`);
  } else {
    process.stderr.write(`gateway: could not start: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
