import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigError, parseDatabaseEnv, readProcessEnv } from '@app/config';
import { dataSourceOptions, redactDatabaseUrl, runMigrationsWithLock } from '@app/database';
import { createGatewayApp } from './create-gateway-app';

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
  const { app, config } = await createGatewayApp(readProcessEnv());
  await app.listen(config.env.PORT, config.env.HOST);
  Logger.log(`listening on http://${config.env.HOST}:${config.env.PORT} (try GET /health/readiness)`, 'Gateway');
}

(process.argv[2] === 'migrate' ? migrate() : serve()).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`gateway: ${err.message}\n`);
  } else {
    process.stderr.write(`gateway: could not start: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
