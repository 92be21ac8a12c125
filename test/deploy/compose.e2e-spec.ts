import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { type EnvSource, GatewayConfig, WorkerConfig } from '@app/config';
import {
  APPS,
  type AppName,
  ROOT,
  WORKER_WIRE,
  defaultPort,
  healthPaths,
  parseAppEnv,
  readText,
  readsVariable,
  startCommand,
  unreadVariables,
} from './app-contract';

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  entrypoint?: unknown;
  ports?: string[];
  environment?: Record<string, string>;
  env_file?: Array<{ path: string; required?: boolean }>;
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  extra_hosts?: string[];
  networks?: Record<string, { aliases?: string[] }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/**
 * Compose's variable substitution for the forms docker-compose.yml uses (`${NAME}`,
 * `${NAME:-default}`, `${NAME-default}`, `$$`), over every string in the file. `vars` plays the
 * project's `.env`.
 */
function interpolate<T>(value: T, vars: EnvSource): T {
  if (typeof value === 'string') {
    const out = value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name: string, op?: string, fallback?: string) => {
      if (match === '$$') return '$';
      const set = vars[name];
      if (op === ':-') return set ? set : fallback!;
      if (op === '-') return set !== undefined ? set : fallback!;
      return set ?? '';
    });
    if (out.includes('${')) throw new Error(`unsupported substitution in ${value}`);
    return out as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  return value;
}

/** docker-compose.yml as Compose reads it: YAML merge keys applied, variables substituted from `dotenv`. */
function loadCompose(dotenv: EnvSource = {}): Compose {
  return interpolate(parseYaml(readText('docker-compose.yml'), { merge: true }) as Compose, dotenv);
}

/** What an app's container sees: the `.env` file (env_file), overridden by `environment`, as Compose does. */
function containerEnv(service: Service, dotenv: EnvSource): EnvSource {
  expect(service.env_file?.map((f) => f.path)).toEqual(['.env']);
  return { ...dotenv, ...service.environment };
}

/** The port an app listens on in its container: PORT for the gateway, HEALTH_PORT for a worker. */
function listenPort(app: AppName, env: EnvSource): number {
  return Number(env[app === 'gateway' ? 'PORT' : 'HEALTH_PORT'] ?? defaultPort(app));
}

const EXAMPLE_DOTENV: EnvSource = { ...parseDotenv(readText('.env.example')), OPENAI_API_KEY: 'sk-from-dotenv' };
// LiteLLM's tutorial .env, as a LiteLLM user has it.
const LITELLM_DOTENV: EnvSource = parseDotenv(
  ['LITELLM_MASTER_KEY="sk-1234"', 'DATABASE_URL="postgresql://llmproxy:dbpassword9090@db:5432/litellm"', 'STORE_MODEL_IN_DB="True"'].join('\n'),
);

describe('docker-compose.yml', () => {
  const compose = loadCompose();
  const { services } = compose;

  it('runs Postgres, Redis, the gateway and both workers', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', 'redis', ...APPS].sort());
  });

  it.each(APPS)('starts %s from the project image with node, its V8 flags and the file the build produces, as its start script does', (app) => {
    const service = services[app];
    expect(typeof service.build === 'string' ? service.build : service.build?.context).toBe('.');
    expect(service.entrypoint).toBeUndefined();
    expect(service.command).toEqual(startCommand(app));
  });

  it.each(APPS)('health-checks %s with node on a liveness path it serves, at the port it listens on', (app) => {
    const service = services[app];
    const test = service.healthcheck!.test;
    expect(test.slice(0, 2)).toEqual(['CMD', 'node']);
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[^'"\s)]*)/.exec(test.join(' '));
    expect(url).not.toBeNull();
    const env = containerEnv(service, EXAMPLE_DOTENV);
    expect(Number(url![1])).toBe(listenPort(app, env));
    expect(listenPort(app, env)).toBe(defaultPort(app));
    expect(healthPaths(app).liveness).toContain(url![2]);
  });

  it('publishes the gateway on port 4000 of the host, the port it listens on', () => {
    const env = containerEnv(services.gateway, EXAMPLE_DOTENV);
    expect(services.gateway.ports).toEqual([`4000:${listenPort('gateway', env)}`]);
    expect(listenPort('gateway', env)).toBe(4000);
  });

  it.each(APPS)('gives %s only variables it reads, and it boots with them and the example config.yaml', (app) => {
    const service = services[app];
    // Everything Compose itself sets must be something the app reads.
    expect(unreadVariables(app, service.environment ?? {})).toEqual([]);
    const env = containerEnv(service, EXAMPLE_DOTENV);
    parseAppEnv(app, env);
    // config.yaml is mounted read-only where CONFIG_FILE points; boot loads config.example.yaml from there.
    const mount = service.volumes?.find((v) => typeof v === 'object' && v.source === './config.yaml');
    expect(mount).toMatchObject({ type: 'bind', target: env.CONFIG_FILE, read_only: true });
    const local = { ...env, CONFIG_FILE: join(ROOT, 'config.example.yaml') };
    const deployments =
      app === 'gateway' ? GatewayConfig.load(local).models : WorkerConfig.load(WORKER_WIRE[app], local, { healthPort: 0, concurrency: 1 }).models;
    expect(deployments.modelNames().length).toBeGreaterThan(0);
  });

  it('documents in .env.example only variables some app (or Compose, for the Postgres container) reads', () => {
    // Set and commented-out (`# NAME=value`) alike.
    const names = Object.keys(parseDotenv(readText('.env.example').replace(/^# ([A-Z_]+=)/gm, '$1')));
    expect(names.length).toBeGreaterThan(10);
    const composeOnly = new Set([...readText('docker-compose.yml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]));
    expect(names.filter((n) => !APPS.some((app) => readsVariable(app, n)) && !composeOnly.has(n))).toEqual([]);
  });

  it('starts the gateway once Postgres and Redis are healthy, and the workers once Redis is', () => {
    expect(services.gateway.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    for (const worker of ['worker-openai', 'worker-ollama']) expect(services[worker].depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(services.postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.redis.healthcheck?.test.join(' ')).toContain('redis-cli ping');
  });

  it('keeps Postgres data in a named volume', () => {
    expect(services.postgres.volumes).toContain('postgres_data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain('postgres_data');
  });

  it('runs two OpenAI workers and one Ollama worker', () => {
    expect(services['worker-openai'].deploy?.replicas).toBe(2);
    expect(services['worker-ollama'].deploy?.replicas ?? 1).toBe(1);
  });

  it('lets the apps reach Ollama on the host as host.docker.internal, where the example config points', () => {
    for (const app of APPS) expect(services[app].extra_hosts).toContain('host.docker.internal:host-gateway');
    const env = { ...containerEnv(services['worker-ollama'], EXAMPLE_DOTENV), CONFIG_FILE: join(ROOT, 'config.example.yaml') };
    const ollama = WorkerConfig.load(WORKER_WIRE['worker-ollama'], env, { healthPort: 0, concurrency: 1 }).models;
    const bases = ollama
      .deployments()
      .filter((d) => d.wire === WORKER_WIRE['worker-ollama'])
      .map((d) => d.apiBase);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(new URL(base).host).toBe('host.docker.internal:11434');
  });

  it("accepts LiteLLM's .env unchanged: the gateway boots and reaches the Compose Postgres, which also answers as db", () => {
    const withLitellm = loadCompose(LITELLM_DOTENV);
    const postgres = withLitellm.services.postgres;
    const env = containerEnv(withLitellm.services.gateway, LITELLM_DOTENV);
    const settings = parseAppEnv('gateway', env);
    expect(unreadVariables('gateway', env)).toEqual([]);
    expect(settings).toMatchObject({ MASTER_KEY: 'sk-1234', STORE_MODEL_IN_DB: true });
    const hostsOfPostgres = ['postgres', ...(postgres.networks?.default?.aliases ?? [])];
    // Both the URL the gateway gets and the one LiteLLM's .env names reach that server with its credentials.
    for (const url of [new URL(String(settings.DATABASE_URL)), new URL(LITELLM_DOTENV.DATABASE_URL!)]) {
      expect(hostsOfPostgres).toContain(url.hostname);
      expect({ user: url.username, password: url.password, db: url.pathname.slice(1) }).toEqual({
        user: postgres.environment!.POSTGRES_USER,
        password: postgres.environment!.POSTGRES_PASSWORD,
        db: postgres.environment!.POSTGRES_DB,
      });
    }
  });
});
