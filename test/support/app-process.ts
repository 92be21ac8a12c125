import { readFileSync } from 'node:fs';
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
 * How production starts an app: the `start:<app>` script of package.json (`start:worker:openai`
 * for worker-openai), `node`, its V8 flags and the built file (relative to the project root). The
 * Dockerfile, docker-compose.yml and the Kubernetes manifests run the same (test/deploy checks
 * them), and so does the bench.
 */
export function productionStart(app: AppName): { nodeArgs: string[]; entry: string } {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string | undefined> };
  const name = `start:${app.replace('-', ':')}`;
  const [command, ...args] = (scripts[name] ?? '').trim().split(/\s+/);
  if (command !== 'node' || args.length === 0) throw new Error(`package.json: "${name}" should be \`node [flags] <built file>\`, is "${scripts[name]}"`);
  return { nodeArgs: args.slice(0, -1), entry: args[args.length - 1] };
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
