import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Wire } from '@app/contracts';
import type { EnvSource } from '@app/config';
import { createTestDatabase } from './test-database';
import { TEST_REDIS_URL, deleteRedisPrefix, uniquePrefix } from './test-redis';

export const MASTER_KEY = 'sk-test-master-1234';

export interface StackOptions {
  /** config.yaml text. */
  config: string;
  /** Extra environment for every app (e.g. OPENAI_API_KEY). */
  env?: EnvSource;
  /** Which workers to start; default both. */
  workers?: Wire[];
}

export interface Stack {
  url: string;
  env: EnvSource;
  gateway: INestApplication;
  workers: Map<Wire, INestApplication>;
  workerUrls: Map<Wire, string>;
  configFile: string;
  databaseUrl: string;
  prefix: string;
  /** Starts another gateway on the same database, Redis prefix and config. */
  startGateway(extraEnv?: EnvSource): Promise<{ app: INestApplication; url: string }>;
  close(): Promise<void>;
}

/**
 * The gateway and workers in this process, against real Postgres and Redis, isolated by a
 * database and a Redis key prefix of their own, which `close()` removes.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  // Loaded here, not at the top: specs that import @test/support only for a fake or a Redis prefix do not load the apps.
  const { createWorkerApp } = await import('@app/queue');
  const { createGatewayApp } = await import('../../apps/gateway/src/create-gateway-app');
  const { WORKER_OLLAMA_DEFAULTS } = await import('../../apps/worker-ollama/src/main');
  const { WorkerOllamaModule } = await import('../../apps/worker-ollama/src/worker-ollama.module');
  const { WORKER_OPENAI_DEFAULTS } = await import('../../apps/worker-openai/src/main');
  const { WorkerOpenAIModule } = await import('../../apps/worker-openai/src/worker-openai.module');
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, options.config);
  const database = await createTestDatabase();
  const prefix = uniquePrefix();
  const env: EnvSource = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    CONFIG_FILE: configFile,
    MASTER_KEY,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    ...options.env,
  };
  const apps: INestApplication[] = [];
  const workers = new Map<Wire, INestApplication>();
  const workerUrls = new Map<Wire, string>();

  const teardown = async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await database.drop();
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  };
  const listen = async (app: INestApplication) => {
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  };

  try {
    for (const wire of options.workers ?? (['openai', 'ollama'] as const)) {
      const { app } =
        wire === 'openai'
          ? await createWorkerApp(wire, WORKER_OPENAI_DEFAULTS, env, (c) => WorkerOpenAIModule.forRoot(c))
          : await createWorkerApp(wire, WORKER_OLLAMA_DEFAULTS, env, (c) => WorkerOllamaModule.forRoot(c));
      workers.set(wire, app);
      workerUrls.set(wire, await listen(app));
    }
    const startGateway = async (extraEnv: EnvSource = {}) => {
      const { app } = await createGatewayApp({ ...env, ...extraEnv });
      return { app, url: await listen(app) };
    };
    const gateway = await startGateway();
    return {
      url: gateway.url,
      env,
      gateway: gateway.app,
      workers,
      workerUrls,
      configFile,
      databaseUrl: database.url,
      prefix,
      startGateway,
      close: teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}
