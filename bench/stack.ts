/**
 * The processes a bench run measures, each a child of its own: the fake upstreams, a Redis server
 * of the bench's own (so that `INFO commandstats` counts nothing but the bench, and no other run's
 * keys share it), gateways and workers built from dist/ and started with production's command
 * (V8 flags included), and the bare BullMQ baseline (bench/bare/). Everything is registered with
 * the run's `Cleanup` and removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import IORedis from 'ioredis';
import { type AppName, type Child, Cleanup, ThrowawayRedis, createTestDatabase, freePort, productionStart, spawnNode, waitForHealthy } from '@test/support';

export const ROOT = resolve(__dirname, '..');
export const MASTER_KEY = 'sk-bench-master';
export const UPSTREAM_KEY = 'sk-bench';
const BARE_QUEUE = 'bare-chat';

export type ProviderName = 'openai' | 'ollama';
export type WorkerApp = 'worker-openai' | 'worker-ollama';
export interface FakeUrls {
  openai: string;
  ollama: string;
}
export interface UpstreamCounters {
  calls: number;
  /** TCP connections the fake accepted: the keep-alive pool of whoever called it. */
  connections: number;
}
export interface Delays {
  /** Before every answer (a slow model). */
  delayMs: number;
  /** Between the pieces of a streamed answer. */
  chunkDelayMs: number;
}

export interface StackOptions {
  /** Where every app child writes a V8 CPU profile (`<name>.cpuprofile`) when it exits; none when undefined. */
  cpuProfileDir?: string;
  /** Where every app child writes a sampled allocation profile (`<name>.heapprofile`, bench/heap-sampling.js) when it exits. */
  heapProfileDir?: string;
  chunkDelayMs: number;
}

function configYaml(fakes: FakeUrls): string {
  return `model_list:
  - model_name: openai/gpt-4o-mini
    litellm_params:
      model: gpt-4o-mini
      api_key: ${UPSTREAM_KEY}
      api_base: "${fakes.openai}"
  - model_name: ollama/llama3.2
    litellm_params:
      model: ollama/llama3.2
      api_base: "${fakes.ollama}"
`;
}

export class BenchStack {
  readonly gateways: Array<{ child: Child; url: string }> = [];
  readonly workers: Array<{ app: WorkerApp; child: Child }> = [];
  bare?: { gateway: Child; worker: Child; url: string };
  /** A virtual key, not the master key: the measured path includes the key lookup (and its cache). */
  key = '';
  private readonly names = new Map<string, number>();

  private constructor(
    private readonly cleanup: Cleanup,
    private readonly options: StackOptions,
    readonly redis: ThrowawayRedis,
    readonly redisPid: number | null,
    readonly fakes: Child,
    readonly fakeUrls: FakeUrls,
    /** The throwaway database the gateways use: its pg_stat_database row counts what a call costs Postgres. */
    readonly database: { url: string; name: string },
    private readonly appEnv: Record<string, string>,
    private readonly dir: string,
  ) {}

  static async start(cleanup: Cleanup, options: StackOptions): Promise<BenchStack> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    cleanup.add('remove temp dir', async () => rmSync(dir, { recursive: true, force: true }));
    const redis = await ThrowawayRedis.start();
    cleanup.add('stop the bench Redis', () => redis.remove());
    const database = await createTestDatabase();
    cleanup.add(`drop database ${database.name}`, () => database.drop());

    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const fakes = spawnNode('fake-upstreams', join(ROOT, 'bench/fake-upstreams.main.ts'), {
      nodeArgs: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
      env: { ...baseEnv, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), FAKE_CHUNK_DELAY_MS: String(options.chunkDelayMs) },
      cwd: ROOT,
      ipc: true,
    });
    cleanup.add('stop fake-upstreams', () => fakes.stop());
    const fakeUrls = (await fakes.firstJsonLine()) as FakeUrls;
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, configYaml(fakeUrls));
    // Like the runtime image (NODE_ENV=production); cwd is the temp dir so no .env file is read.
    const appEnv = {
      ...baseEnv,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `sy-bench-${randomBytes(4).toString('hex')}`,
      CONFIG_FILE: configFile,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const db = { url: database.url, name: database.name };
    return new BenchStack(cleanup, options, redis, await redisServerPid(redis.url), fakes, fakeUrls, db, appEnv, dir);
  }

  /** A child's name, unique in the run (`gateway`, `gateway-2`, …): its CPU profile's file name. */
  private uniqueName(base: string): string {
    const n = (this.names.get(base) ?? 0) + 1;
    this.names.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  }

  private nodeArgs(name: string): string[] {
    const { cpuProfileDir, heapProfileDir } = this.options;
    return [
      ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []),
      ...(heapProfileDir ? ['-r', join(ROOT, 'bench/heap-sampling.js')] : []),
    ];
  }

  /** The environment bench/heap-sampling.js reads: where this child's allocation profile goes. */
  private profileEnv(name: string): Record<string, string> {
    const dir = this.options.heapProfileDir;
    return dir ? { BENCH_HEAP_PROFILE: join(dir, `${name}.heapprofile`) } : {};
  }

  /** Starts an app as production does (its V8 flags included, see `productionStart`). */
  private spawnApp(app: AppName, name: string, env: Record<string, string>): Child {
    const { nodeArgs, entry } = productionStart(app);
    return spawnNode(name, join(ROOT, entry), { nodeArgs: [...nodeArgs, ...this.nodeArgs(name)], env, cwd: this.dir });
  }

  async startWorker(app: WorkerApp, env: Record<string, string> = {}): Promise<Child> {
    const name = this.uniqueName(app);
    const healthPort = await freePort();
    const child = this.spawnApp(app, name, { ...this.appEnv, ...env, ...this.profileEnv(name), HEALTH_PORT: String(healthPort) });
    this.cleanup.add(`stop ${name}`, () => child.stop());
    await waitForHealthy(child, `http://127.0.0.1:${healthPort}/health/readiness`);
    this.workers.push({ app, child });
    return child;
  }

  async startGateway(): Promise<{ child: Child; url: string }> {
    const name = this.uniqueName('gateway');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = this.spawnApp('gateway', name, { ...this.appEnv, ...this.profileEnv(name), PORT: String(port), MASTER_KEY });
    // Registered after the workers, so stopped before them: no new jobs while they drain.
    this.cleanup.add(`stop ${name}`, () => child.stop());
    await waitForHealthy(child, `${url}/health/readiness`);
    const gateway = { child, url };
    this.gateways.push(gateway);
    if (!this.key) this.key = await generateKey(url);
    return gateway;
  }

  /** The baseline: bench/bare/gateway.js and bench/bare/worker.js against the fake OpenAI. */
  async startBare(): Promise<{ gateway: Child; worker: Child; url: string }> {
    const env = { ...this.appEnv, BARE_QUEUE: BARE_QUEUE };
    const workerName = this.uniqueName('bare-worker');
    const worker = spawnNode(workerName, join(ROOT, 'bench/bare/worker.js'), {
      nodeArgs: this.nodeArgs(workerName),
      env: { ...env, ...this.profileEnv(workerName), UPSTREAM_URL: `${this.fakeUrls.openai}/chat/completions`, UPSTREAM_KEY },
      cwd: ROOT,
    });
    this.cleanup.add(`stop ${workerName}`, () => worker.stop());
    const gatewayName = this.uniqueName('bare-gateway');
    const gateway = spawnNode(gatewayName, join(ROOT, 'bench/bare/gateway.js'), {
      nodeArgs: this.nodeArgs(gatewayName),
      env: { ...env, ...this.profileEnv(gatewayName) },
      cwd: ROOT,
    });
    this.cleanup.add(`stop ${gatewayName}`, () => gateway.stop());
    await worker.firstJsonLine();
    const { url } = (await gateway.firstJsonLine()) as { url: string };
    this.bare = { gateway, worker, url };
    return this.bare;
  }

  /** Stops a gateway or worker before the end of the run (its CPU profile is written then). */
  async stop(child: Child): Promise<void> {
    await child.stop();
    const g = this.gateways.findIndex((x) => x.child === child);
    if (g >= 0) this.gateways.splice(g, 1);
    const w = this.workers.findIndex((x) => x.child === child);
    if (w >= 0) this.workers.splice(w, 1);
  }

  /** Asks the fake process for its counters (and resets them) over IPC. */
  takeUpstreamCounters(): Promise<Record<ProviderName, UpstreamCounters>> {
    return this.ask('take') as Promise<Record<ProviderName, UpstreamCounters>>;
  }

  async setUpstreamDelays(delays: Delays): Promise<void> {
    await this.ask({ delays });
  }

  private ask(message: unknown): Promise<unknown> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error('fake-upstreams did not answer')), 5_000);
      this.fakes.process.once('message', (answer) => {
        clearTimeout(timer);
        resolvePromise(answer);
      });
      this.fakes.process.send(message as string);
    });
  }

  /** A client of the bench's Redis (for INFO); closed by the cleanup. */
  redisClient(): IORedis {
    const client = new IORedis(this.redis.url, { maxRetriesPerRequest: 1 });
    this.cleanup.add('close the bench Redis client', async () => client.disconnect());
    return client;
  }
}

async function generateKey(gatewayUrl: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 200) throw new Error(`POST /key/generate answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** The Redis server's pid (its CPU time is part of every gateway call). */
async function redisServerPid(url: string): Promise<number | null> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    return Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]) || null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}
