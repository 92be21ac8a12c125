/**
 * The parts of `npm run bench` beyond the provider matrix (issue 13): each figure against the bare
 * BullMQ loop of bench/bare/ with its target; the Redis cost of a call with one and three gateways;
 * throughput with 1, 2 and 4 worker processes behind a slow upstream; and a plain 32-connection
 * load to profile. All of them call the fake OpenAI through worker-openai.
 */
import { execFileSync } from 'node:child_process';
import type IORedis from 'ioredis';
import { Client } from 'pg';
import type { CellOptions, Target } from './load';
import { type MeasuredCell, measureCell } from './measure';
import { type BenchStack, UPSTREAM_KEY } from './stack';

export interface SectionSettings {
  quick: boolean;
  signal: AbortSignal;
  chunkDelayMs: number;
}

const MAX_CELL_MS = 90_000;
const TIMEOUT_MS = 30_000;
const MESSAGES = [{ role: 'user', content: 'hello bench' }];
const EXPECT = 'echo: hello bench';
/** The fake answers "echo: one two three four": five content chunks. */
const STREAM5_MESSAGES = [{ role: 'user', content: 'one two three four' }];
const STREAM5_EXPECT = 'echo: one two three four';
const OPENAI_MODEL = 'openai/gpt-4o-mini';

type Kind = 'json' | 'stream5';

export function directTarget(stack: BenchStack, kind: Kind): Target {
  return {
    url: `${stack.fakeUrls.openai}/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` },
    body: JSON.stringify(
      kind === 'json'
        ? { model: 'gpt-4o-mini', messages: MESSAGES }
        : { model: 'gpt-4o-mini', messages: STREAM5_MESSAGES, stream: true, stream_options: { include_usage: true } },
    ),
    expect: kind === 'json' ? EXPECT : STREAM5_EXPECT,
    format: kind === 'json' ? 'json' : 'openai-sse',
  };
}

export function gatewayTarget(stack: BenchStack, kind: Kind, gatewayUrl = stack.gateways[0].url): Target {
  return {
    url: `${gatewayUrl}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.key}` },
    body: JSON.stringify(
      kind === 'json'
        ? { model: OPENAI_MODEL, messages: MESSAGES }
        : { model: OPENAI_MODEL, messages: STREAM5_MESSAGES, stream: true, stream_options: { include_usage: true } },
    ),
    expect: kind === 'json' ? EXPECT : STREAM5_EXPECT,
    format: kind === 'json' ? 'json' : 'openai-sse',
  };
}

/** The bare loop forwards the body to the fake as is: the same call as `directTarget(…, 'json')`. */
export function bareTarget(stack: BenchStack): Target {
  if (!stack.bare) throw new Error('the bare baseline is not running');
  return { ...directTarget(stack, 'json'), url: `${stack.bare.url}/v1/chat/completions`, headers: { 'content-type': 'application/json' } };
}

function cellOptions(settings: SectionSettings, concurrency: number, requests: number, warmup: number): CellOptions {
  return { concurrency, requests, warmup, maxDurationMs: MAX_CELL_MS, timeoutMs: TIMEOUT_MS, signal: settings.signal };
}

/** Process name → pid of everything a gateway call touches, for CPU and memory. */
export function watchedProcesses(stack: BenchStack): Record<string, number> {
  const watched: Record<string, number> = {};
  for (const g of stack.gateways) watched[g.child.name] = g.child.pid;
  for (const w of stack.workers) watched[w.child.name] = w.child.pid;
  if (stack.bare) {
    watched['bare-gateway'] = stack.bare.gateway.pid;
    watched['bare-worker'] = stack.bare.worker.pid;
  }
  if (stack.redisPid) watched.redis = stack.redisPid;
  watched['fake-upstreams'] = stack.fakes.pid;
  watched.bench = process.pid;
  return watched;
}

function logCell(label: string, cell: MeasuredCell): void {
  const first = cell.firstContent ? `ttft p50 ${cell.firstContent.p50Ms} ms, p99 ${cell.firstContent.p99Ms} ms; end ` : '';
  console.log(
    `  ${label.padEnd(34)} ${cell.rps} req/s, ${first}p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms` +
      `${cell.errors ? `, ${cell.errors} ERRORS (${cell.errorSamples[0] ?? ''})` : ''}${cell.truncated ? ', TRUNCATED' : ''}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Targets: each figure against the bare loop.

export interface TargetRow {
  figure: string;
  switchyard: number;
  baseline: number;
  baselineIs: string;
  /** switchyard / baseline. */
  ratio: number;
  target: string;
  pass: boolean;
}

export interface TargetsResult {
  cells: Record<string, MeasuredCell>;
  rows: TargetRow[];
}

export async function runTargets(stack: BenchStack, settings: SectionSettings): Promise<TargetsResult> {
  const q = settings.quick;
  const watched = watchedProcesses(stack);
  const plan: Array<[string, Target, CellOptions]> = [
    ['direct json c=1', directTarget(stack, 'json'), cellOptions(settings, 1, q ? 1000 : 4000, 200)],
    ['bare json c=1', bareTarget(stack), cellOptions(settings, 1, q ? 1000 : 4000, 200)],
    ['switchyard json c=1', gatewayTarget(stack, 'json'), cellOptions(settings, 1, q ? 1000 : 4000, 200)],
    ['direct json c=32', directTarget(stack, 'json'), cellOptions(settings, 32, q ? 4000 : 20000, 500)],
    ['bare json c=32', bareTarget(stack), cellOptions(settings, 32, q ? 4000 : 15000, 500)],
    ['switchyard json c=32', gatewayTarget(stack, 'json'), cellOptions(settings, 32, q ? 4000 : 15000, 500)],
    ['direct stream5 c=1', directTarget(stack, 'stream5'), cellOptions(settings, 1, q ? 500 : 2000, 100)],
    ['switchyard stream5 c=1', gatewayTarget(stack, 'stream5'), cellOptions(settings, 1, q ? 500 : 2000, 100)],
    ['switchyard stream5 c=32', gatewayTarget(stack, 'stream5'), cellOptions(settings, 32, q ? 2000 : 8000, 300)],
  ];
  const cells: Record<string, MeasuredCell> = {};
  for (const [label, target, options] of plan) {
    await stack.takeUpstreamCounters();
    cells[label] = await measureCell(target, options, watched);
    logCell(label, cells[label]);
  }
  const c = (label: string) => cells[label];
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const bareAdded = r2(c('bare json c=1').p50Ms - c('direct json c=1').p50Ms);
  const added = r2(c('switchyard json c=1').p50Ms - c('direct json c=1').p50Ms);
  const addedTtft = r2(c('switchyard stream5 c=1').firstContent!.p50Ms - c('direct stream5 c=1').firstContent!.p50Ms);
  const rows: TargetRow[] = [];
  const row = (figure: string, switchyard: number, baseline: number, baselineIs: string, target: string, pass: boolean) =>
    rows.push({ figure, switchyard, baseline, baselineIs, ratio: r2(switchyard / baseline), target, pass });
  const jsonRps = c('switchyard json c=32').rps;
  row('non-streamed req/s, c=32', jsonRps, c('bare json c=32').rps, 'bare req/s', '≥ 0.85 × bare', jsonRps >= 0.85 * c('bare json c=32').rps);
  row('added latency p50 ms, c=1', added, bareAdded, 'bare added ms', '≤ bare + 0.5 ms', added <= bareAdded + 0.5);
  row('stream added TTFT p50 ms, c=1', addedTtft, bareAdded, 'bare added ms', '≤ bare + 1 ms', addedTtft <= bareAdded + 1);
  const streamRps = c('switchyard stream5 c=32').rps;
  row('5-chunk stream req/s, c=32', streamRps, jsonRps, 'switchyard json req/s', '≥ 0.6 × non-streamed', streamRps >= 0.6 * jsonRps);
  const peak32 = (name: string) =>
    Math.max(...['json c=32', 'stream5 c=32'].flatMap((k) => [c(`switchyard ${k}`).peakRssMb[name] ?? 0, c(`bare ${k}`)?.peakRssMb[name] ?? 0]));
  const bareGatewayMb = c('bare json c=32').peakRssMb['bare-gateway'] ?? Number.NaN;
  const bareWorkerMb = c('bare json c=32').peakRssMb['bare-worker'] ?? Number.NaN;
  const gatewayMb = peak32('gateway');
  const workerMb = peak32('worker-openai');
  row('peak RSS MB, gateway, c=32', gatewayMb, bareGatewayMb, 'bare gateway MB', '≤ 150 MB', gatewayMb <= 150);
  row('peak RSS MB, worker-openai, c=32', workerMb, bareWorkerMb, 'bare worker MB', '≤ 150 MB', workerMb <= 150);
  return { cells, rows };
}

// ---------------------------------------------------------------------------------------------
// Redis cost of a call.

export interface RedisCase {
  label: string;
  gateways: number;
  calls: number;
  /** INFO stats deltas per call (a pass without MONITOR). */
  netInputBytesPerCall: number;
  netOutputBytesPerCall: number;
  /** pg_stat_database of the bench database, per call (same pass): transactions, rows written. */
  postgresPerCall: { transactions: number; rowsInserted: number; rowsUpdated: number; rowsFetched: number };
  /** INFO commandstats deltas per call: every command Redis executed, those run inside Lua scripts included. */
  executedPerCall: Record<string, number>;
  executedTotalPerCall: number;
  /** MONITOR, a second pass: commands each kind of process sent (one request each, whether pipelined or not). */
  sentPerCall: Record<string, Record<string, number>>;
  sentTotalPerCall: Record<string, number>;
  /** MONITOR: requests each kind of process made: as `sent`, with a MULTI…EXEC block counted once (other pipelines, if any, per command: an upper bound). */
  roundTripsPerCall: Record<string, number>;
  /** MONITOR: commands run inside Lua scripts (`EVALSHA`), by name. */
  inScriptsPerCall: Record<string, number>;
  errors: number;
}

export interface RedisResult {
  cases: RedisCase[];
  /** Commands sent per second with no load at all (BullMQ's polling, trimmers, stalled-job checks), by process kind. */
  idlePerSecond: Record<string, Record<string, number>>;
}

const NOT_COUNTED = new Set(['info', 'monitor', 'client', 'ping']);

function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1].toLowerCase()] = Number(m[2]);
  return out;
}

interface PgCounters {
  transactions: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsFetched: number;
}

/** The bench database's counters; Postgres publishes them with a delay of up to a second, so wait first. */
async function postgresCounters(stack: BenchStack): Promise<PgCounters> {
  await new Promise((r) => setTimeout(r, 1500));
  const client = new Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      'SELECT xact_commit + xact_rollback AS transactions, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = $1',
      [stack.database.name],
    );
    const row = rows[0] ?? {};
    return {
      transactions: Number(row.transactions),
      rowsInserted: Number(row.tup_inserted),
      rowsUpdated: Number(row.tup_updated),
      rowsFetched: Number(row.tup_fetched),
    };
  } finally {
    await client.end();
  }
}

function infoNumber(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
}

/** Local port of each TCP connection to the Redis port → the pid that holds it (`ss -tnp`; our own children only). */
function connectionOwners(redisPort: number): Map<number, number> {
  const owners = new Map<number, number>();
  let out: string;
  try {
    out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${redisPort} )`], { encoding: 'utf8' });
  } catch {
    return owners;
  }
  for (const line of out.split('\n')) {
    const m = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:\d+.*pid=(\d+)/.exec(line);
    if (m) owners.set(Number(m[1]), Number(m[2]));
  }
  return owners;
}

/** `gateway-2` → `gateway`: counts are by kind of process. */
const kindOf = (name: string) => name.replace(/-\d+$/, '');

async function monitorPass(
  stack: BenchStack,
  run: () => Promise<unknown>,
): Promise<{ sent: Record<string, Record<string, number>>; trips: Record<string, number>; inScripts: Record<string, number>; ms: number }> {
  const monitorClient = stack.redisClient();
  const monitor = await monitorClient.monitor();
  const bySource = new Map<string, Map<string, number>>();
  const inScripts: Record<string, number> = {};
  // MONITOR shows MULTI, the queued commands, then EXEC: one request of the client.
  const tripsBySource = new Map<string, number>();
  const inMulti = new Set<string>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = String(args[0] ?? '').toLowerCase();
    if (NOT_COUNTED.has(command)) return;
    if (source === 'lua') {
      inScripts[command] = (inScripts[command] ?? 0) + 1;
      return;
    }
    if (command === 'multi') inMulti.add(source);
    if (command === 'exec' || command === 'discard') inMulti.delete(source);
    else if (command === 'multi' || !inMulti.has(source)) tripsBySource.set(source, (tripsBySource.get(source) ?? 0) + 1);
    const counts = bySource.get(source) ?? new Map<string, number>();
    counts.set(command, (counts.get(command) ?? 0) + 1);
    bySource.set(source, counts);
  });
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  // Let the last completions' events arrive before counting stops.
  await new Promise((r) => setTimeout(r, 200));
  monitor.disconnect();
  const names = new Map(Object.entries(watchedProcesses(stack)).map(([name, pid]) => [pid, name]));
  const owners = connectionOwners(stack.redis.port);
  const sent: Record<string, Record<string, number>> = {};
  const trips: Record<string, number> = {};
  for (const [source, counts] of bySource) {
    const pid = owners.get(Number(source.split(':').pop()));
    const kind = pid !== undefined && names.has(pid) ? kindOf(names.get(pid)!) : 'other';
    sent[kind] ??= {};
    for (const [command, n] of counts) sent[kind][command] = (sent[kind][command] ?? 0) + n;
    trips[kind] = (trips[kind] ?? 0) + (tripsBySource.get(source) ?? 0);
  }
  return { sent, trips, inScripts, ms };
}

function perCall(counts: Record<string, number>, calls: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) if (v > 0) out[k] = Math.round((v / calls) * 100) / 100;
  return out;
}

const total = (counts: Record<string, number>) => Math.round(Object.values(counts).reduce((a, b) => a + b, 0) * 100) / 100;

async function redisCase(stack: BenchStack, settings: SectionSettings, label: string, targets: Target[]): Promise<RedisCase> {
  const calls = settings.quick ? 300 : 1000;
  const perTarget = Math.ceil(calls / targets.length);
  const concurrency = Math.max(1, Math.round(9 / targets.length));
  const options = cellOptions(settings, concurrency, perTarget, 50);
  const redis: IORedis = stack.redisClient();
  const watched = watchedProcesses(stack);
  const run = () => measureCell(targets, options, watched);
  // Pass 1: byte and command counters, nothing else attached to Redis.
  await Promise.all(targets.map((t) => measureCell(t, { ...options, requests: 50 }, watched)));
  const pgBefore = await postgresCounters(stack);
  const [statsBefore, cmdBefore] = [await redis.info('stats'), await redis.info('commandstats')];
  const first = await run();
  const [statsAfter, cmdAfter] = [await redis.info('stats'), await redis.info('commandstats')];
  const pgAfter = await postgresCounters(stack);
  const n = first.sent;
  const pgPerCall = (field: keyof PgCounters) => Math.round(((pgAfter[field] - pgBefore[field]) / n) * 100) / 100;
  const before = parseCommandStats(cmdBefore);
  const executed = Object.fromEntries(
    Object.entries(parseCommandStats(cmdAfter))
      .filter(([name]) => !NOT_COUNTED.has(name))
      .map(([name, v]) => [name, v - (before[name] ?? 0)]),
  );
  // Pass 2: the same calls under MONITOR, which names the sender of every command.
  const second = await monitorPass(stack, run);
  const sentPerCall = Object.fromEntries(Object.entries(second.sent).map(([kind, counts]) => [kind, perCall(counts, n)]));
  const result: RedisCase = {
    label,
    gateways: targets.length,
    calls: n,
    netInputBytesPerCall: Math.round((infoNumber(statsAfter, 'total_net_input_bytes') - infoNumber(statsBefore, 'total_net_input_bytes')) / n),
    netOutputBytesPerCall: Math.round((infoNumber(statsAfter, 'total_net_output_bytes') - infoNumber(statsBefore, 'total_net_output_bytes')) / n),
    postgresPerCall: {
      transactions: pgPerCall('transactions'),
      rowsInserted: pgPerCall('rowsInserted'),
      rowsUpdated: pgPerCall('rowsUpdated'),
      rowsFetched: pgPerCall('rowsFetched'),
    },
    executedPerCall: perCall(executed, n),
    executedTotalPerCall: total(perCall(executed, n)),
    sentPerCall,
    sentTotalPerCall: Object.fromEntries(Object.entries(sentPerCall).map(([kind, counts]) => [kind, total(counts)])),
    roundTripsPerCall: perCall(second.trips, n),
    inScriptsPerCall: perCall(second.inScripts, n),
    errors: first.errors,
  };
  console.log(
    `  ${label.padEnd(34)} ${n} calls: ${result.executedTotalPerCall} commands executed/call, sent/call ${JSON.stringify(result.sentTotalPerCall)}, ` +
      `round trips/call ${JSON.stringify(result.roundTripsPerCall)}, ${result.netInputBytesPerCall} B in, ${result.netOutputBytesPerCall} B out, ` +
      `Postgres ${JSON.stringify(result.postgresPerCall)}${first.errors ? `, ${first.errors} ERRORS` : ''}`,
  );
  return result;
}

export async function runRedisCost(stack: BenchStack, settings: SectionSettings): Promise<RedisResult> {
  const idleMs = 3000;
  const idle = await monitorPass(stack, () => new Promise((r) => setTimeout(r, idleMs)));
  const idlePerSecond = Object.fromEntries(Object.entries(idle.sent).map(([kind, counts]) => [kind, perCall(counts, idle.ms / 1000)]));
  console.log(`  idle, commands/s by process kind: ${JSON.stringify(Object.fromEntries(Object.entries(idlePerSecond).map(([k, v]) => [k, total(v)])))}`);
  const cases: RedisCase[] = [];
  if (stack.bare) cases.push(await redisCase(stack, settings, 'bare BullMQ, json', [bareTarget(stack)]));
  cases.push(await redisCase(stack, settings, 'switchyard json, 1 gateway', [gatewayTarget(stack, 'json')]));
  cases.push(await redisCase(stack, settings, 'switchyard stream5, 1 gateway', [gatewayTarget(stack, 'stream5')]));
  const extra = [await stack.startGateway(), await stack.startGateway()];
  const urls = stack.gateways.map((g) => g.url);
  cases.push(
    await redisCase(
      stack,
      settings,
      'switchyard json, 3 gateways',
      urls.map((u) => gatewayTarget(stack, 'json', u)),
    ),
  );
  cases.push(
    await redisCase(
      stack,
      settings,
      'switchyard stream5, 3 gateways',
      urls.map((u) => gatewayTarget(stack, 'stream5', u)),
    ),
  );
  for (const g of extra) await stack.stop(g.child);
  return { cases, idlePerSecond };
}

// ---------------------------------------------------------------------------------------------
// Worker scaling behind a slow upstream.

export interface ScalingRow {
  workers: number;
  slots: number;
  rps: number;
  /** What the slots allow at best: slots / upstream delay. */
  ceilingRps: number;
  p50Ms: number;
  errors: number;
  /** CPU ms per call: the gateway, all worker-openai processes together, Redis. */
  cpuMsPerCall: { gateway: number | null; workers: number | null; redis: number | null };
  /** rps / rps with one worker. */
  ratio: number;
  target: string;
  pass: boolean | null;
}

export const SCALING_DELAY_MS = 200;
export const SCALING_WORKER_CONCURRENCY = 8;
const SCALING_CONNECTIONS = 64;

export async function runScaling(stack: BenchStack, settings: SectionSettings): Promise<ScalingRow[]> {
  for (const w of stack.workers.filter((x) => x.app === 'worker-openai')) await stack.stop(w.child);
  await stack.setUpstreamDelays({ delayMs: SCALING_DELAY_MS, chunkDelayMs: settings.chunkDelayMs });
  const rows: ScalingRow[] = [];
  try {
    for (const [workers, target, least] of [
      [1, '', null],
      [2, '≥ 1.8 × one', 1.8],
      [4, '≥ 3.2 × one', 3.2],
    ] as const) {
      while (stack.workers.filter((x) => x.app === 'worker-openai').length < workers) {
        await stack.startWorker('worker-openai', { WORKER_CONCURRENCY: String(SCALING_WORKER_CONCURRENCY) });
      }
      const slots = workers * SCALING_WORKER_CONCURRENCY;
      const rounds = settings.quick ? 10 : 25;
      const cell = await measureCell(
        gatewayTarget(stack, 'json'),
        cellOptions(settings, SCALING_CONNECTIONS, slots * rounds, slots * 2),
        watchedProcesses(stack),
      );
      logCell(`${workers} worker(s), ${slots} slots, 200 ms`, cell);
      const ratio = rows.length ? Math.round((cell.rps / rows[0].rps) * 100) / 100 : 1;
      const cpu = cell.cpuMsPerRequest;
      const workerCpu = Object.entries(cpu).filter(([name]) => name.startsWith('worker-openai'));
      rows.push({
        workers,
        slots,
        rps: cell.rps,
        ceilingRps: Math.round(slots / (SCALING_DELAY_MS / 1000)),
        p50Ms: cell.p50Ms,
        errors: cell.errors,
        cpuMsPerCall: {
          gateway: cpu.gateway,
          workers: workerCpu.some(([, v]) => v === null) ? null : Math.round(workerCpu.reduce((sum, [, v]) => sum + v!, 0) * 1000) / 1000,
          redis: cpu.redis ?? null,
        },
        ratio,
        target,
        pass: least === null ? null : ratio >= least,
      });
    }
  } finally {
    await stack.setUpstreamDelays({ delayMs: 0, chunkDelayMs: settings.chunkDelayMs });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// A plain load to profile: 32 connections, non-streamed, through the gateway then the bare loop.

export async function runLoad32(stack: BenchStack, settings: SectionSettings): Promise<Record<string, MeasuredCell>> {
  const requests = settings.quick ? 5000 : 20000;
  const watched = watchedProcesses(stack);
  const cells: Record<string, MeasuredCell> = {};
  cells['switchyard json c=32'] = await measureCell(gatewayTarget(stack, 'json'), cellOptions(settings, 32, requests, 500), watched);
  logCell('switchyard json c=32', cells['switchyard json c=32']);
  if (stack.bare) {
    cells['bare json c=32'] = await measureCell(bareTarget(stack), cellOptions(settings, 32, requests, 500), watched);
    logCell('bare json c=32', cells['bare json c=32']);
  }
  return cells;
}

// ---------------------------------------------------------------------------------------------
// A stream load to profile: 32 connections of 5-chunk streams, then the same non-streamed for the ratio.

export async function runStream32(stack: BenchStack, settings: SectionSettings): Promise<Record<string, MeasuredCell>> {
  const watched = watchedProcesses(stack);
  const cells: Record<string, MeasuredCell> = {};
  const plan: Array<[string, Target, number]> = [
    ['switchyard stream5 c=32', gatewayTarget(stack, 'stream5'), settings.quick ? 2000 : 8000],
    ['switchyard json c=32', gatewayTarget(stack, 'json'), settings.quick ? 2000 : 8000],
  ];
  for (const [label, target, requests] of plan) {
    cells[label] = await measureCell(target, cellOptions(settings, 32, requests, 300), watched);
    logCell(label, cells[label]);
  }
  return cells;
}
