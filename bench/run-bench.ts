/**
 * `npm run bench`: every app a real child process built from dist/, against a throwaway Postgres
 * database and a Redis server of the bench's own, all removed at the end. Not part of the test suite.
 *
 * Sections, in this order (`--only=a,b` runs a subset):
 *   matrix   the same call straight to the fakes and through the gateway, OpenAI and Ollama, c=1/8/32, JSON and streamed
 *   targets  the issue-13 figures against the bare BullMQ loop of bench/bare/, each with its target and PASS/MISS
 *   redis    Redis commands and bytes per call (INFO deltas, then MONITOR by sender), 1 and 3 gateways
 *   scaling  a 200 ms upstream behind 1, 2 and 4 worker-openai processes
 *   load32   (only when named) 32 connections, non-streamed, gateway then bare loop: the load to profile
 *   stream32 (only when named) 32 connections of 5-chunk streams, then non-streamed for the ratio: the stream load to profile
 * Options: `--cpu-prof` (every app child writes reports/cpu-<time>/<name>.cpuprofile when it stops;
 * summarise with bench/cpu-profile-summary.ts), `--heap-prof` (every app child writes
 * reports/heap-<time>/<name>.heapprofile, its sampled allocations garbage included, when it stops;
 * summarise with bench/heap-profile-summary.ts), `BENCH_QUICK=1` (fewer requests per cell).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { constants, cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { Cleanup } from '@test/support';
import { type MatrixResult, STREAM_CHUNK_DELAY_MS, matrixReport, matrixSettings, runMatrix, table } from './matrix';
import type { MeasuredCell } from './measure';
import {
  type RedisResult,
  SCALING_DELAY_MS,
  SCALING_WORKER_CONCURRENCY,
  type ScalingRow,
  type SectionSettings,
  type TargetsResult,
  runLoad32,
  runStream32,
  runRedisCost,
  runScaling,
  runTargets,
} from './sections';
import { BenchStack, ROOT } from './stack';

const RESULTS_DIR = join(ROOT, 'bench/results');
const SECTIONS = ['matrix', 'targets', 'redis', 'scaling', 'load32', 'stream32'] as const;
type Section = (typeof SECTIONS)[number];
const DEFAULT_SECTIONS: Section[] = ['matrix', 'targets', 'redis', 'scaling'];

interface Args {
  sections: Section[];
  cpuProf: boolean;
  heapProf: boolean;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  let sections = DEFAULT_SECTIONS;
  let cpuProf = false;
  let heapProf = false;
  for (const arg of argv) {
    if (arg === '--cpu-prof') cpuProf = true;
    else if (arg === '--heap-prof') heapProf = true;
    else if (arg.startsWith('--only=')) {
      const wanted = arg.slice('--only='.length).split(',').filter(Boolean);
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length) throw new Error(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
      sections = SECTIONS.filter((s) => wanted.includes(s));
    } else throw new Error(`unknown argument ${arg}; use --only=${SECTIONS.join(',')} and/or --cpu-prof, --heap-prof`);
  }
  return { sections, cpuProf, heapProf, quick: ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '') };
}

interface Results {
  matrix?: MatrixResult;
  targets?: TargetsResult;
  redis?: RedisResult;
  scaling?: ScalingRow[];
  load32?: Record<string, MeasuredCell>;
  stream32?: Record<string, MeasuredCell>;
}

const fmt = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));

function targetsReport({ rows, cells }: TargetsResult): string {
  const head = ['figure', 'switchyard', 'baseline', 'baseline is', 'ratio', 'target', 'verdict'];
  const body = rows.map((r) => [r.figure, fmt(r.switchyard), fmt(r.baseline), r.baselineIs, `${fmt(r.ratio)}×`, r.target, r.pass ? 'PASS' : 'MISS']);
  const cellHead = ['cell', 'req/s', 'p50 ms', 'p99 ms', 'ttft p50', 'ttft p99', 'errors', 'cpu ms/req gw', 'worker', 'redis', 'peak RSS gw MB', 'worker MB'];
  const cellRows = Object.entries(cells).map(([label, c]) => {
    const bare = label.startsWith('bare');
    const direct = label.startsWith('direct');
    const [gw, wk] = bare ? ['bare-gateway', 'bare-worker'] : ['gateway', 'worker-openai'];
    return [
      label,
      String(c.rps),
      fmt(c.p50Ms),
      fmt(c.p99Ms),
      c.firstContent ? fmt(c.firstContent.p50Ms) : '',
      c.firstContent ? fmt(c.firstContent.p99Ms) : '',
      String(c.errors) + (c.truncated ? ' (truncated)' : ''),
      direct ? '' : fmt(c.cpuMsPerRequest[gw], 3),
      direct ? '' : fmt(c.cpuMsPerRequest[wk], 3),
      direct ? '' : fmt(c.cpuMsPerRequest.redis, 3),
      direct ? '' : fmt(c.peakRssMb[gw], 1),
      direct ? '' : fmt(c.peakRssMb[wk], 1),
    ];
  });
  return [
    'Targets (issue 13), against the bare BullMQ loop (bench/bare/): added = p50 minus the same call straight to the fake at c=1.',
    table([head, ...body], [false, true, true, false, true, false, false]),
    table([cellHead, ...cellRows], [false, ...Array<boolean>(11).fill(true)]),
    'stream5: `stream: true`, five content chunks 1 ms apart at the fake; ttft = time to the first content chunk. CPU: 10 ms clock ticks, warm-up included.',
  ].join('\n\n');
}

function redisReport({ cases, idlePerSecond }: RedisResult): string {
  const summaryHead = [
    'case',
    'calls',
    'executed/call',
    'sent/call gateway',
    'worker',
    'round trips/call gateway',
    'worker',
    'bytes in/call',
    'bytes out/call',
    'pg xact/call',
    'pg rows written/call',
  ];
  // The bare case's senders are bare-*; the idle apps' few commands in that case are left out here.
  const of = (c: (typeof cases)[number], counts: Record<string, number>, kind: 'gateway' | 'worker') => {
    const bare = c.label.startsWith('bare');
    return fmt(kind === 'gateway' ? counts[bare ? 'bare-gateway' : 'gateway'] : counts[bare ? 'bare-worker' : 'worker-openai']);
  };
  const summary = cases.map((c) => [
    c.label,
    String(c.calls),
    fmt(c.executedTotalPerCall),
    of(c, c.sentTotalPerCall, 'gateway'),
    of(c, c.sentTotalPerCall, 'worker'),
    of(c, c.roundTripsPerCall, 'gateway'),
    of(c, c.roundTripsPerCall, 'worker'),
    String(c.netInputBytesPerCall),
    String(c.netOutputBytesPerCall),
    fmt(c.postgresPerCall.transactions),
    fmt(c.postgresPerCall.rowsInserted + c.postgresPerCall.rowsUpdated),
  ]);
  const keys = new Set<string>();
  for (const c of cases) {
    for (const [kind, counts] of Object.entries(c.sentPerCall)) for (const command of Object.keys(counts)) keys.add(`sent by ${kind}: ${command}`);
    for (const command of Object.keys(c.inScriptsPerCall)) keys.add(`inside scripts: ${command}`);
  }
  const byCommand = [...keys].sort().map((key) => {
    const [where, command] = key.split(': ');
    return [
      key,
      ...cases.map((c) => {
        const n = where === 'inside scripts' ? c.inScriptsPerCall[command] : c.sentPerCall[where.replace('sent by ', '')]?.[command];
        return n === undefined ? '' : fmt(n);
      }),
    ];
  });
  const idle = Object.entries(idlePerSecond).map(
    ([kind, counts]) =>
      `${kind}: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
  );
  return [
    'Redis per call (the bench Redis serves nothing else; warm-up calls included in the count; idle polling included):',
    table([summaryHead, ...summary], [false, ...Array<boolean>(10).fill(true)]),
    "executed: INFO commandstats, commands inside Lua scripts included; sent and round trips: MONITOR (a MULTI…EXEC block is one round trip); pg: pg_stat_database of the bench database (the bench's own reads of it included).",
    'Commands per call by sender (MONITOR) and inside Lua scripts:',
    table([['command', ...cases.map((c) => c.label)], ...byCommand], [false, ...cases.map(() => true)]),
    `With no load, commands/s: ${idle.join('; ') || 'none'}`,
  ].join('\n\n');
}

function scalingReport(rows: ScalingRow[]): string {
  const head = [
    'worker-openai processes',
    'slots',
    'req/s',
    'ceiling req/s',
    'p50 ms',
    'errors',
    'cpu ms/call gw',
    'workers',
    'redis',
    'ratio to one',
    'target',
    'verdict',
  ];
  const body = rows.map((r) => [
    String(r.workers),
    String(r.slots),
    String(r.rps),
    String(r.ceilingRps),
    fmt(r.p50Ms),
    String(r.errors),
    fmt(r.cpuMsPerCall.gateway, 3),
    fmt(r.cpuMsPerCall.workers, 3),
    fmt(r.cpuMsPerCall.redis, 3),
    `${fmt(r.ratio)}×`,
    r.target,
    r.pass === null ? '' : r.pass ? 'PASS' : 'MISS',
  ]);
  return [
    `Worker scaling: upstream answers after ${SCALING_DELAY_MS} ms; WORKER_CONCURRENCY=${SCALING_WORKER_CONCURRENCY} per process; 64 connections to one gateway.`,
    table([head, ...body], [true, true, true, true, true, true, true, true, true, true, false, false]),
  ].join('\n\n');
}

function load32Report(title: string, cells: Record<string, MeasuredCell>): string {
  const head = ['cell', 'req/s', 'p50 ms', 'p99 ms', 'ttft p50', 'errors', 'cpu ms/req gw', 'worker', 'redis', 'peak RSS gw MB', 'worker MB'];
  const body = Object.entries(cells).map(([label, c]) => {
    const [gw, wk] = label.startsWith('bare') ? ['bare-gateway', 'bare-worker'] : ['gateway', 'worker-openai'];
    return [
      label,
      String(c.rps),
      fmt(c.p50Ms),
      fmt(c.p99Ms),
      c.firstContent ? fmt(c.firstContent.p50Ms) : '',
      String(c.errors),
      fmt(c.cpuMsPerRequest[gw], 3),
      fmt(c.cpuMsPerRequest[wk], 3),
      fmt(c.cpuMsPerRequest.redis, 3),
      fmt(c.peakRssMb[gw], 1),
      fmt(c.peakRssMb[wk], 1),
    ];
  });
  return [title, table([head, ...body], [false, ...Array<boolean>(10).fill(true)])].join('\n\n');
}

function stream32Report(cells: Record<string, MeasuredCell>): string {
  const stream = cells['switchyard stream5 c=32'];
  const json = cells['switchyard json c=32'];
  const ratio = stream && json ? `streams at ${fmt(stream.rps / json.rps)}× the non-streamed rate (target ≥ 0.6×)` : '';
  return [load32Report('32 connections, 5-chunk streams, then non-streamed:', cells), ratio].filter(Boolean).join('\n\n');
}

function errorsOf(results: Results): Array<{ where: string; errors: number; truncated: boolean; samples: string[] }> {
  const out: Array<{ where: string; errors: number; truncated: boolean; samples: string[] }> = [];
  for (const c of results.matrix?.cells ?? [])
    out.push({ where: `matrix ${c.provider} ${c.mode} c=${c.concurrency} ${c.path}`, errors: c.errors, truncated: c.truncated, samples: c.errorSamples });
  const cellSets = [results.targets?.cells, results.load32, results.stream32];
  for (const [label, c] of cellSets.flatMap((cells) => Object.entries(cells ?? {}))) {
    out.push({ where: label, errors: c.errors, truncated: c.truncated, samples: c.errorSamples });
  }
  for (const c of results.redis?.cases ?? []) out.push({ where: `redis ${c.label}`, errors: c.errors, truncated: false, samples: [] });
  for (const r of results.scaling ?? []) out.push({ where: `scaling ${r.workers} workers`, errors: r.errors, truncated: false, samples: [] });
  return out.filter((x) => x.errors || x.truncated);
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
  const args = process.argv.slice(2).join(' ');
  const quick = process.env.BENCH_QUICK ? `BENCH_QUICK=${process.env.BENCH_QUICK} ` : '';
  return `${quick}npm run bench${args ? ` -- ${args}` : ''}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const command = commandLine();
  const loadBefore = loadavg().map((n) => Math.round(n * 100) / 100);
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
  const cpuProfileDir = args.cpuProf ? join(ROOT, 'reports', `cpu-${stamp}`) : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  const heapProfileDir = args.heapProf ? join(ROOT, 'reports', `heap-${stamp}`) : undefined;
  if (heapProfileDir) mkdirSync(heapProfileDir, { recursive: true });
  console.log(
    `switchyard bench: ${args.sections.join(', ')}${args.quick ? ' (BENCH_QUICK)' : ''}${cpuProfileDir ? ', CPU profiles' : ''}${heapProfileDir ? ', allocation profiles' : ''}; ` +
      `${cpus().length} CPUs, load average ${loadBefore.join(' ')}`,
  );

  const settings: SectionSettings = { quick: args.quick, signal: interrupted.signal, chunkDelayMs: STREAM_CHUNK_DELAY_MS };
  const results: Results = {};
  const has = (s: Section) => args.sections.includes(s);
  try {
    const stack = await BenchStack.start(cleanup, { cpuProfileDir, heapProfileDir, chunkDelayMs: STREAM_CHUNK_DELAY_MS });
    await stack.startWorker('worker-openai');
    await stack.startGateway();
    if (has('targets') || has('redis') || has('load32')) await stack.startBare();
    console.log(`all up: gateway ${stack.gateways[0].url}, bench Redis ${stack.redis.url}`);
    if (has('matrix')) {
      console.log('\n[matrix]');
      results.matrix = await runMatrix(stack, interrupted.signal, args.quick);
    }
    if (has('targets')) {
      console.log('\n[targets]');
      results.targets = await runTargets(stack, settings);
    }
    if (has('load32')) {
      console.log('\n[load32]');
      results.load32 = await runLoad32(stack, settings);
    }
    if (has('stream32')) {
      console.log('\n[stream32]');
      results.stream32 = await runStream32(stack, settings);
    }
    if (has('redis')) {
      console.log('\n[redis]');
      results.redis = await runRedisCost(stack, settings);
    }
    if (has('scaling')) {
      console.log('\n[scaling]');
      results.scaling = await runScaling(stack, settings);
    }
  } finally {
    console.log('\nstopping processes, dropping the database, stopping the bench Redis');
    await cleanup.run();
  }

  const failures = errorsOf(results);
  const loadAfter = loadavg().map((n) => Math.round(n * 100) / 100);
  const result = {
    command,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitState(),
    host: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, platform: `${process.platform} ${process.arch}` },
    loadAverage: { before: loadBefore, after: loadAfter },
    sections: args.sections,
    quick: args.quick,
    settings: {
      matrix: matrixSettings(args.quick),
      auth: 'virtual key from POST /key/generate',
      workerConcurrency: 'app defaults (WORKER_CONCURRENCY not set), except the scaling section',
      logLevel: 'warn',
    },
    ok: failures.length === 0,
    failures,
    ...results,
    cpuProfileDir: cpuProfileDir ? relative(ROOT, cpuProfileDir) : null,
    heapProfileDir: heapProfileDir ? relative(ROOT, heapProfileDir) : null,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${stamp}.json`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  const parts: string[] = [];
  if (results.matrix) parts.push(matrixReport(results.matrix));
  if (results.targets) parts.push(targetsReport(results.targets));
  if (results.redis) parts.push(redisReport(results.redis));
  if (results.load32) parts.push(load32Report('32 connections, non-streamed:', results.load32));
  if (results.stream32) parts.push(stream32Report(results.stream32));
  if (results.scaling) parts.push(scalingReport(results.scaling));
  console.log(`\n${parts.join('\n\n')}\n`);
  console.log(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (1, 5, 15 min; ${cpus().length} CPUs)`);
  if (failures.length) {
    console.log(`!!! THIS RUN HAD FAILED REQUESTS OR TRUNCATED CELLS: its numbers are not trustworthy !!!`);
    for (const f of failures) console.log(`  ${f.where}: ${f.errors} errors${f.truncated ? ', truncated' : ''}; e.g. ${f.samples.join(' | ') || 'n/a'}`);
    process.exitCode = 1;
  }
  if (cpuProfileDir)
    console.log(`CPU profiles: ${relative(ROOT, cpuProfileDir)}/ (npx ts-node bench/cpu-profile-summary.ts ${relative(ROOT, cpuProfileDir)}/*.cpuprofile)`);
  if (heapProfileDir)
    console.log(
      `allocation profiles: ${relative(ROOT, heapProfileDir)}/ (npx ts-node bench/heap-profile-summary.ts ${relative(ROOT, heapProfileDir)}/*.heapprofile)`,
    );
  console.log(`results: ${relative(ROOT, file)} (also bench/results/latest.json)`);
  console.log(`command: ${command}`);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
