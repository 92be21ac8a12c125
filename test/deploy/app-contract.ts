/**
 * What the apps accept, read from the code rather than restated: the file `npm run build` produces
 * for each app, the env names and values each parses, the health paths each serves, its default
 * port. The deployment specs check docker-compose.yml, the Dockerfile and the Kubernetes manifests
 * against these.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { type EnvSource, parseGatewayEnv, parseWorkerEnv } from '@app/config';
import type { Wire } from '@app/contracts';
import { productionStart } from '@test/support';
import { HealthController } from '../../apps/gateway/src/health/health.controller';
import { WORKER_OLLAMA_DEFAULTS } from '../../apps/worker-ollama/src/main';
import { WORKER_OPENAI_DEFAULTS } from '../../apps/worker-openai/src/main';
import { WorkerHealthController } from '../../libs/queue/src/worker/worker-health.controller';

export const ROOT = resolve(__dirname, '../..');

export type AppName = 'gateway' | 'worker-openai' | 'worker-ollama';
export const APPS: readonly AppName[] = ['gateway', 'worker-openai', 'worker-ollama'];

/** The wire each worker app speaks. */
export const WORKER_WIRE: Record<Exclude<AppName, 'gateway'>, Wire> = {
  'worker-openai': 'openai',
  'worker-ollama': 'ollama',
};
const WORKER_DEFAULTS = { 'worker-openai': WORKER_OPENAI_DEFAULTS, 'worker-ollama': WORKER_OLLAMA_DEFAULTS };

export function readText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/**
 * `dist/...main.js` of each app, as the Nest CLI builds it (nest-cli.json: tsc keeps the source
 * layout under dist/), checked against the project list, `npm run build` and the sources.
 */
export function entryFiles(): Record<AppName, string> {
  const nest = JSON.parse(readText('nest-cli.json')) as {
    compilerOptions?: { builder?: string; webpack?: boolean };
    projects: Record<string, { type: string; sourceRoot: string; entryFile: string }>;
  };
  if (nest.compilerOptions?.webpack || (nest.compilerOptions?.builder ?? 'tsc') !== 'tsc') {
    throw new Error('nest-cli.json no longer builds with tsc: dist/ layout assumptions below are wrong');
  }
  const build = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts.build;
  const files = {} as Record<AppName, string>;
  for (const app of APPS) {
    const project = nest.projects[app];
    if (project?.type !== 'application') throw new Error(`nest-cli.json has no application "${app}"`);
    if (
      !build
        .split('&&')
        .map((s) => s.trim())
        .includes(`nest build ${app}`)
    )
      throw new Error(`npm run build does not build ${app}: ${build}`);
    const source = `${project.sourceRoot}/${project.entryFile}.ts`;
    if (!existsSync(join(ROOT, source))) throw new Error(`${app}: no ${source}`);
    files[app] = `dist/${project.sourceRoot}/${project.entryFile}.js`;
  }
  return files;
}

/**
 * The command that starts an app in production: `node`, the V8 flags and the built file, from the
 * app's start script in package.json (which must run the file the build produces).
 */
export function startCommand(app: AppName): string[] {
  const { nodeArgs, entry } = productionStart(app);
  if (entry !== entryFiles()[app]) throw new Error(`${app}: its start script runs ${entry}, the build produces ${entryFiles()[app]}`);
  return ['node', ...nodeArgs, entry];
}

/** The paths of a controller's GET handlers, keyed by handler name: `{live: ['/health/liveliness', …], ready: […]}`. */
function routes(controller: new (...args: never[]) => unknown): Record<string, string[]> {
  const base = String(Reflect.getMetadata(PATH_METADATA, controller)).replace(/^\/|\/$/g, '');
  const result: Record<string, string[]> = {};
  for (const name of Object.getOwnPropertyNames(controller.prototype)) {
    const handler = (controller.prototype as Record<string, unknown>)[name];
    if (name === 'constructor' || typeof handler !== 'function') continue;
    const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
    if (paths === undefined) continue;
    result[name] = ([] as string[]).concat(paths).map((p) => `/${base}/${p.replace(/^\//, '')}`);
  }
  return result;
}

/** Liveness and readiness paths an app serves (gateway on PORT, workers on HEALTH_PORT). */
export function healthPaths(app: AppName): { liveness: string[]; readiness: string[] } {
  const r = routes(app === 'gateway' ? HealthController : WorkerHealthController);
  if (!r.live?.length || !r.ready?.length) throw new Error(`${app}: health controller has no live/ready handlers: ${JSON.stringify(r)}`);
  return { liveness: r.live, readiness: r.ready };
}

/** The port an app listens on when PORT / HEALTH_PORT is not set. */
export function defaultPort(app: AppName): number {
  if (app === 'gateway') return parseGatewayEnv({ MASTER_KEY: 'x', DATABASE_URL: 'postgresql://h/d' }).PORT;
  return WORKER_DEFAULTS[app].healthPort;
}

export function defaultConcurrency(app: Exclude<AppName, 'gateway'>): number {
  return WORKER_DEFAULTS[app].concurrency;
}

/** Parses `env` as the app does at boot; throws a ConfigError naming a bad or missing variable. */
export function parseAppEnv(app: AppName, env: EnvSource): Record<string, unknown> {
  return app === 'gateway' ? parseGatewayEnv(env) : parseWorkerEnv(env, WORKER_DEFAULTS[app]);
}

// The least an app boots with; MASTER_KEY given by its LiteLLM name so that both names can be probed.
const MINIMAL_ENV: Record<AppName, EnvSource> = {
  gateway: { LITELLM_MASTER_KEY: 'sk-probe', DATABASE_URL: 'postgresql://probe/db' },
  'worker-openai': {},
  'worker-ollama': {},
};

/**
 * Whether an app reads a variable: a value that is not even a string stops its boot if it does;
 * the env schemas drop names they do not know.
 */
export function readsVariable(app: AppName, name: string): boolean {
  try {
    parseAppEnv(app, { ...MINIMAL_ENV[app], [name]: {} as unknown as string });
    return false;
  } catch {
    return true;
  }
}

/** The names in `env` that the app does not read. */
export function unreadVariables(app: AppName, env: EnvSource): string[] {
  return Object.keys(env).filter((name) => !readsVariable(app, name));
}
