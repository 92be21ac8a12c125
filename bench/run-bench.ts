/**
 * `npm run bench`: the same chat call, straight to a fake upstream and through gateway → BullMQ →
 * worker → the same fake, at several concurrencies, for OpenAI and Ollama; first non-streaming,
 * then streamed (time to the first content chunk and to the end). Every app is a real child process built from dist/, against a throwaway Postgres database and
 * Redis prefix that are removed at the end. Not part of the test suite.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import IORedis from 'ioredis';
import {
  type Child,
  Cleanup,
  TEST_REDIS_URL,
  cpuTimeMs,
  createTestDatabase,
  deleteRedisPrefix,
  freePort,
  peakMemoryMb,
  processName,
  spawnNode,
  waitForHealthy,
} from '@test/support';
import { type CellStats, type Target, runCell } from './load';

const ROOT = resolve(__dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench/results');
const CONCURRENCIES = [1, 8, 32];
const WARMUP = 200;
// Enough samples for a stable p99 at each concurrency while the whole run stays near 2–3 minutes on 2 cores.
const REQUESTS: Record<number, number> = { 1: 10000, 8: 20000, 32: 20000 };
const MAX_CELL_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MASTER_KEY = 'sk-bench-master';
const UPSTREAM_KEY = 'sk-bench';
const MESSAGES = [{ role: 'user', content: 'hello bench' }];
const EXPECT = 'echo: hello bench';
// Streams: fewer requests (each lasts the pieces' gaps), a longer answer so that its first
// content and its end are apart as with a real model: 14 content pieces, 1 ms apart at the fake.
const STREAM_CONCURRENCIES = [1, 8, 32];
const STREAM_WARMUP = 50;
const STREAM_REQUESTS: Record<number, number> = { 1: 300, 8: 2000, 32: 3000 };
const STREAM_CHUNK_DELAY_MS = 1;
const STREAM_MESSAGES = [{ role: 'user', content: 'hello bench, please send these words back to me one at a time' }];
const STREAM_EXPECT = 'echo: hello bench, please send these words back to me one at a time';

type ProviderName = 'openai' | 'ollama';
type PathName = 'direct' | 'gateway';
type Mode = 'json' | 'stream';
interface FakeUrls {
  openai: string;
  ollama: string;
}
interface UpstreamCounters {
  calls: number;
  /** TCP connections the fake accepted: the keep-alive pool of whoever called it. */
  connections: number;
}

interface ProviderCase {
  name: ProviderName;
  worker: string;
  /** model_name clients send to the gateway. */
  model: string;
  /** What the worker sends upstream for that model: the "direct" call. */
  direct(fakes: FakeUrls): Target;
  /** The same for a streamed call: the worker asks the upstream for a stream in its own format. */
  directStream(fakes: FakeUrls): Target;
}

const PROVIDERS: ProviderCase[] = [
  {
    name: 'openai',
    worker: 'worker-openai',
    model: 'openai/gpt-4o-mini',
    direct: (fakes) => ({
      url: `${fakes.openai}/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES }),
      expect: EXPECT,
    }),
    // As worker-openai sends it: usage always asked for.
    directStream: (fakes) => ({
      url: `${fakes.openai}/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: STREAM_MESSAGES, stream: true, stream_options: { include_usage: true } }),
      expect: STREAM_EXPECT,
      format: 'openai-sse',
    }),
  },
  {
    name: 'ollama',
    worker: 'worker-ollama',
    model: 'ollama/llama3.2',
    // Ollama's native call, as worker-ollama makes it (non-streaming).
    direct: (fakes) => ({
      url: `${fakes.ollama}/api/chat`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2', messages: MESSAGES, stream: false }),
      expect: EXPECT,
    }),
    directStream: (fakes) => ({
      url: `${fakes.ollama}/api/chat`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2', messages: STREAM_MESSAGES, stream: true }),
      expect: STREAM_EXPECT,
      format: 'ollama-ndjson',
    }),
  },
];

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

interface Cell extends CellStats {
  provider: ProviderName;
  /** `stream`: `stream: true`; p50Ms/p99Ms are then the time to the stream's end, firstContent the time to its first content chunk. */
  mode: Mode;
  path: PathName;
  concurrency: number;
  /** Requests the fake upstream received during the cell, warm-up included: one per call expected. */
  upstream: UpstreamCounters;
  /** CPU time each process spent during the cell (warm-up included), per request sent. */
  cpuMsPerRequest: Record<string, number | null>;
}

interface Added {
  provider: ProviderName;
  mode: Mode;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  /** Streams: milliseconds the gateway adds to the time to first content. */
  firstContent: { p50Ms: number; p99Ms: number } | null;
}

interface Measured {
  cells: Cell[];
  peakMemoryMb: Record<string, number | null>;
  /** Set to a child's name by BENCH_CPU_PROF; where its .cpuprofile went. */
  cpuProfileDir?: string;
}

/** Asks the fake process for its counters (and resets them) over IPC. */
function takeUpstreamCounters(fakes: Child): Promise<Record<ProviderName, UpstreamCounters>> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('fake-upstreams did not answer "take"')), 5_000);
    fakes.process.once('message', (message) => {
      clearTimeout(timer);
      resolvePromise(message as Record<ProviderName, UpstreamCounters>);
    });
    fakes.process.send('take');
  });
}

async function measure(cleanup: Cleanup, signal: AbortSignal): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  cleanup.add('remove temp dir', async () => rmSync(dir, { recursive: true, force: true }));
  const database = await createTestDatabase();
  cleanup.add(`drop database ${database.name}`, () => database.drop());
  const prefix = `sy-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  cleanup.add(`delete Redis keys ${prefix}:*`, () => deleteRedisPrefix(prefix));

  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const fakes = spawnNode('fake-upstreams', join(ROOT, 'bench/fake-upstreams.main.ts'), {
    nodeArgs: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    env: { ...baseEnv, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), FAKE_CHUNK_DELAY_MS: String(STREAM_CHUNK_DELAY_MS) },
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
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    CONFIG_FILE: configFile,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  // BENCH_CPU_PROF=gateway (or a worker's name): that child writes a V8 CPU profile when it exits.
  const profiled = process.env.BENCH_CPU_PROF;
  const cpuProfileDir = profiled ? join(RESULTS_DIR, 'profiles') : undefined;
  const nodeArgsFor = (name: string) => (name === profiled ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []);

  const healthUrls = new Map<Child, string>();
  const workers = new Map<ProviderName, Child>();
  for (const provider of PROVIDERS) {
    const healthPort = await freePort();
    const worker = spawnNode(provider.worker, join(ROOT, `dist/apps/${provider.worker}/src/main.js`), {
      nodeArgs: nodeArgsFor(provider.worker),
      env: { ...appEnv, HEALTH_PORT: String(healthPort) },
      cwd: dir,
    });
    cleanup.add(`stop ${provider.worker}`, () => worker.stop());
    workers.set(provider.name, worker);
    healthUrls.set(worker, `http://127.0.0.1:${healthPort}/health/readiness`);
  }
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const gateway = spawnNode('gateway', join(ROOT, 'dist/apps/gateway/src/main.js'), {
    nodeArgs: nodeArgsFor('gateway'),
    env: { ...appEnv, PORT: String(port), MASTER_KEY },
    cwd: dir,
  });
  // Added last, so stopped first: no new jobs while the workers drain.
  cleanup.add('stop gateway', () => gateway.stop());
  healthUrls.set(gateway, `${gatewayUrl}/health/readiness`);
  await Promise.all([...healthUrls].map(([child, url]) => waitForHealthy(child, url)));

  // A virtual key, not the master key: the measured path includes the key lookup (and its cache).
  const keyRes = await fetch(`${gatewayUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (keyRes.status !== 200) throw new Error(`POST /key/generate answered ${keyRes.status}: ${await keyRes.text()}`);
  const { key } = (await keyRes.json()) as { key: string };

  const watched: Record<string, number> = {
    gateway: gateway.pid,
    'worker-openai': workers.get('openai')!.pid,
    'worker-ollama': workers.get('ollama')!.pid,
    'fake-upstreams': fakes.pid,
    bench: process.pid,
  };
  const redisPid = await localRedisPid();
  if (redisPid) watched.redis = redisPid;
  const cpuSnapshot = () => Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, cpuTimeMs(pid)]));

  console.log(`all up: gateway ${gatewayUrl}, fakes ${fakeUrls.openai} and ${fakeUrls.ollama}\n`);
  const cells: Cell[] = [];
  const gatewayTarget = (model: string, mode: Mode): Target => ({
    url: `${gatewayUrl}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(
      mode === 'json' ? { model, messages: MESSAGES } : { model, messages: STREAM_MESSAGES, stream: true, stream_options: { include_usage: true } },
    ),
    expect: mode === 'json' ? EXPECT : STREAM_EXPECT,
    format: mode === 'json' ? 'json' : 'openai-sse',
  });
  const plans = [
    { mode: 'json' as const, concurrencies: CONCURRENCIES, warmup: WARMUP, requests: REQUESTS },
    { mode: 'stream' as const, concurrencies: STREAM_CONCURRENCIES, warmup: STREAM_WARMUP, requests: STREAM_REQUESTS },
  ];
  for (const [provider, plan] of PROVIDERS.flatMap((p) => plans.map((plan) => [p, plan] as const))) {
    const { mode } = plan;
    const targets: Record<PathName, Target> = {
      direct: mode === 'json' ? provider.direct(fakeUrls) : provider.directStream(fakeUrls),
      gateway: gatewayTarget(provider.model, mode),
    };
    for (const concurrency of plan.concurrencies) {
      // Direct and gateway back to back, so both see the same machine state.
      for (const path of ['direct', 'gateway'] as const) {
        await takeUpstreamCounters(fakes);
        const cpuBefore = cpuSnapshot();
        const stats = await runCell(targets[path], {
          concurrency,
          warmup: plan.warmup,
          requests: plan.requests[concurrency],
          maxDurationMs: MAX_CELL_MS,
          timeoutMs: REQUEST_TIMEOUT_MS,
          signal,
        });
        const cpuAfter = cpuSnapshot();
        const upstream = (await takeUpstreamCounters(fakes))[provider.name];
        const cpuMsPerRequest = Object.fromEntries(
          Object.keys(watched).map((name) => {
            const [before, after] = [cpuBefore[name], cpuAfter[name]];
            return [name, before === null || after === null ? null : Math.round(((after - before) / stats.sent) * 1000) / 1000];
          }),
        );
        cells.push({ provider: provider.name, mode, path, concurrency, ...stats, upstream, cpuMsPerRequest });
        const first = stats.firstContent ? `first content p50 ${stats.firstContent.p50Ms} ms, p99 ${stats.firstContent.p99Ms} ms; end ` : '';
        console.log(
          `  ${provider.name.padEnd(6)} ${mode.padEnd(6)} c=${String(concurrency).padEnd(3)} ${path.padEnd(7)} ` +
            `${stats.rps} req/s, ${first}p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms` +
            `${stats.errors ? `, ${stats.errors} ERRORS` : ''}${stats.truncated ? ', TRUNCATED' : ''}`,
        );
      }
    }
  }

  // VmHWM is the peak over each process's whole life, so read it just before stopping them.
  const peak: Record<string, number | null> = {
    gateway: peakMemoryMb(gateway.pid),
    'worker-openai': peakMemoryMb(workers.get('openai')!.pid),
    'worker-ollama': peakMemoryMb(workers.get('ollama')!.pid),
    'fake-upstreams': peakMemoryMb(fakes.pid),
    'bench (load generator)': peakMemoryMb(process.pid),
  };
  return { cells, peakMemoryMb: peak, cpuProfileDir };
}

/** The Redis server's pid when it runs on this machine (its CPU time is part of every gateway call). */
async function localRedisPid(): Promise<number | null> {
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
    return pid && processName(pid)?.startsWith('redis') ? pid : null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

function addedByGateway(cells: Cell[]): Added[] {
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return cells.flatMap((gateway) => {
    if (gateway.path !== 'gateway') return [];
    const direct = cells.find(
      (x) => x.path === 'direct' && x.provider === gateway.provider && x.mode === gateway.mode && x.concurrency === gateway.concurrency,
    );
    if (!direct) return [];
    const firstContent =
      gateway.firstContent && direct.firstContent
        ? { p50Ms: round(gateway.firstContent.p50Ms - direct.firstContent.p50Ms), p99Ms: round(gateway.firstContent.p99Ms - direct.firstContent.p99Ms) }
        : null;
    return [
      {
        provider: gateway.provider,
        mode: gateway.mode,
        concurrency: gateway.concurrency,
        p50Ms: round(gateway.p50Ms - direct.p50Ms),
        p99Ms: round(gateway.p99Ms - direct.p99Ms),
        firstContent,
      },
    ];
  });
}

function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function report(cells: Cell[], added: Added[], memory: Record<string, number | null>): string {
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
  const signed = (n: number) => (n >= 0 ? `+${fmt(n)}` : fmt(n));
  const rows = [
    [
      'provider',
      'mode',
      'conc',
      'path',
      'req/s',
      'ttft p50',
      'ttft p99',
      'p50 ms',
      'p99 ms',
      'errors',
      'upstream calls',
      'added ttft p50',
      'added ttft p99',
      'added p50 ms',
      'added p99 ms',
    ],
  ];
  for (const cell of cells) {
    const plus =
      cell.path === 'gateway' ? added.find((a) => a.provider === cell.provider && a.mode === cell.mode && a.concurrency === cell.concurrency) : undefined;
    rows.push([
      cell.provider,
      cell.mode,
      String(cell.concurrency),
      cell.path,
      String(cell.rps),
      cell.firstContent ? fmt(cell.firstContent.p50Ms) : '',
      cell.firstContent ? fmt(cell.firstContent.p99Ms) : '',
      fmt(cell.p50Ms),
      fmt(cell.p99Ms),
      String(cell.errors) + (cell.truncated ? ' (truncated)' : ''),
      String(cell.upstream.calls),
      plus?.firstContent ? signed(plus.firstContent.p50Ms) : '',
      plus?.firstContent ? signed(plus.firstContent.p99Ms) : '',
      plus ? signed(plus.p50Ms) : '',
      plus ? signed(plus.p99Ms) : '',
    ]);
  }
  const cpu = (cell: Cell, name: string) => (cell.cpuMsPerRequest[name] == null ? 'n/a' : cell.cpuMsPerRequest[name]!.toFixed(3));
  const cpuRows = [['provider', 'mode', 'conc', 'path', 'gateway', 'worker', 'redis', 'fake', 'bench']];
  for (const cell of cells) {
    const worker = PROVIDERS.find((p) => p.name === cell.provider)!.worker;
    cpuRows.push([
      cell.provider,
      cell.mode,
      String(cell.concurrency),
      cell.path,
      cpu(cell, 'gateway'),
      cpu(cell, worker),
      cpu(cell, 'redis'),
      cpu(cell, 'fake-upstreams'),
      cpu(cell, 'bench'),
    ]);
  }
  const memoryRows = [['process', 'peak RSS (VmHWM) MB'], ...Object.entries(memory).map(([name, mb]) => [name, mb === null ? 'n/a' : mb.toFixed(1)])];
  return [
    table(rows, [false, false, true, false, true, true, true, true, true, true, true, true, true, true, true]),
    'ms. mode stream: `stream: true`; ttft = time to the first content chunk, p50/p99 = time to the end of the answer. added = gateway minus direct.',
    `CPU ms per request (10 ms clock ticks over the cell, warm-up included):\n${table(cpuRows, [false, false, true, false, true, true, true, true, true])}`,
    table(memoryRows, [false, true]),
    'fake-upstreams and bench run under ts-node, which accounts for about 55 MB of their peak.',
  ].join('\n\n');
}

function gitState(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

function commandLine(): string {
  const inner = `ts-node --transpile-only -P tsconfig.json -r tsconfig-paths/register ${relative(ROOT, process.argv[1] ?? 'bench/run-bench.ts')}`;
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench   (= ${process.env.npm_lifecycle_script ?? inner})` : `npx ${inner}`;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const command = commandLine();
  const cleanup = new Cleanup();
  const interrupted = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping every process the bench started`);
      // Load first: a gateway still being sent requests on kept-alive connections is slow to close.
      interrupted.abort(new Error(`interrupted by ${signal}`));
      void cleanup.run().finally(() => process.exit(128 + constants.signals[signal]));
    });
  }
  console.log(
    `switchyard bench: warm-up ${WARMUP}, then ${CONCURRENCIES.map((c) => `${REQUESTS[c]} requests at c=${c}`).join(', ')}; ` +
      `streamed: warm-up ${STREAM_WARMUP}, then ${STREAM_CONCURRENCIES.map((c) => `${STREAM_REQUESTS[c]} at c=${c}`).join(', ')}; ${cpus().length} CPUs`,
  );

  let measured: Measured;
  try {
    measured = await measure(cleanup, interrupted.signal);
  } finally {
    console.log('\nstopping processes, dropping the database and the Redis keys');
    await cleanup.run();
  }

  const added = addedByGateway(measured.cells);
  const errors = measured.cells.reduce((sum, c) => sum + c.errors, 0);
  const truncated = measured.cells.filter((c) => c.truncated).length;
  const result = {
    command,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitState(),
    host: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, platform: `${process.platform} ${process.arch}` },
    settings: {
      concurrencies: CONCURRENCIES,
      warmupPerCell: WARMUP,
      requestsPerCell: REQUESTS,
      maxCellMs: MAX_CELL_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      request: { messages: MESSAGES, stream: false },
      streaming: {
        concurrencies: STREAM_CONCURRENCIES,
        warmupPerCell: STREAM_WARMUP,
        requestsPerCell: STREAM_REQUESTS,
        request: { messages: STREAM_MESSAGES, stream: true, stream_options: { include_usage: true } },
        fakeChunkDelayMs: STREAM_CHUNK_DELAY_MS,
        firstContent: 'time from sending the request to the first chunk with non-empty content',
      },
      auth: 'virtual key from POST /key/generate',
      workerConcurrency: 'app defaults (WORKER_CONCURRENCY not set)',
      logLevel: 'warn',
    },
    ok: errors === 0 && truncated === 0,
    errors,
    cells: measured.cells,
    addedByGateway: added,
    peakMemoryMb: measured.peakMemoryMb,
    cpuProfileDir: measured.cpuProfileDir ?? null,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = join(RESULTS_DIR, `bench-${stamp}.json`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  console.log(`\n${report(measured.cells, added, measured.peakMemoryMb)}\n`);
  if (!result.ok) {
    console.log(`!!! THIS RUN HAD ${errors} FAILED REQUESTS${truncated ? ` AND ${truncated} TRUNCATED CELLS` : ''}: its numbers are not trustworthy !!!`);
    for (const cell of measured.cells.filter((c) => c.errors || c.truncated)) {
      console.log(`  ${cell.provider} ${cell.mode} c=${cell.concurrency} ${cell.path}: ${cell.errors} errors; e.g. ${cell.errorSamples.join(' | ') || 'n/a'}`);
    }
    process.exitCode = 1;
  }
  if (measured.cpuProfileDir) console.log(`CPU profile of ${process.env.BENCH_CPU_PROF}: ${relative(ROOT, measured.cpuProfileDir)}/`);
  console.log(`results: ${relative(ROOT, file)} (also bench/results/latest.json)`);
  console.log(`command: ${command}`);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
