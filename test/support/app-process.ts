import { join, resolve } from 'node:path';
import type { EnvSource } from '@app/config';
import { type Child, freePort, spawnNode, waitForHealthy } from './processes';

const ROOT = resolve(__dirname, '../..');

export type AppName = 'gateway' | 'worker-openai' | 'worker-ollama';

export interface AppProcess {
  child: Child;
  /** `http://127.0.0.1:<port>`: the gateway's API, or a worker's health server. */
  url: string;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown hooks, no goodbye to Redis. */
  kill(): Promise<void>;
}

/**
 * One app as a real child process, straight from the TypeScript sources (ts-node, transpile
 * only, `@app/*` paths resolved), for tests that need several gateways or workers that can be
 * killed. Resolves once the app answers `/health/readiness`.
 */
export async function startAppProcess(app: AppName, env: EnvSource): Promise<AppProcess> {
  const port = await freePort();
  const portVar = app === 'gateway' ? 'PORT' : 'HEALTH_PORT';
  const childEnv = Object.fromEntries(
    Object.entries({
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
      [portVar]: String(port),
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    }).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const child = spawnNode(app, join(ROOT, 'apps', app, 'src/main.ts'), {
    cwd: ROOT,
    env: childEnv,
    nodeArgs: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    quiet: true,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealthy(child, `${url}/health/readiness`, 60_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    child,
    url,
    stop: () => child.stop(),
    async kill() {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return;
      const exited = new Promise((r) => child.process.once('exit', r));
      child.process.kill('SIGKILL');
      await exited;
    },
  };
}
