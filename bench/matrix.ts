/**
 * The provider matrix of `npm run bench`: the same chat call, straight to a fake upstream and
 * through gateway → BullMQ → worker → the same fake, at several concurrencies, for OpenAI and
 * Ollama; first non-streaming, then streamed (time to the first content chunk and to the end).
 */
import { cpuTimeMs, peakMemoryMb } from '@test/support';
import { type CellStats, type Target, runCell } from './load';
import type { BenchStack, FakeUrls, ProviderName, UpstreamCounters } from './stack';
import { UPSTREAM_KEY } from './stack';

const CONCURRENCIES = [1, 8, 32];
const WARMUP = 200;
// Enough samples for a stable p99 at each concurrency while the matrix stays near 1–2 minutes on 2 cores (the
// targets section measures the OpenAI call again, against the bare loop).
const REQUESTS: Record<number, number> = { 1: 5000, 8: 10000, 32: 10000 };
const MAX_CELL_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MESSAGES = [{ role: 'user', content: 'hello bench' }];
const EXPECT = 'echo: hello bench';
// Streams: fewer requests (each lasts the pieces' gaps), a longer answer so that its first
// content and its end are apart as with a real model: 14 content pieces, 1 ms apart at the fake.
const STREAM_CONCURRENCIES = [1, 8, 32];
const STREAM_WARMUP = 50;
const STREAM_REQUESTS: Record<number, number> = { 1: 300, 8: 2000, 32: 3000 };
export const STREAM_CHUNK_DELAY_MS = 1;
const STREAM_MESSAGES = [{ role: 'user', content: 'hello bench, please send these words back to me one at a time' }];
const STREAM_EXPECT = 'echo: hello bench, please send these words back to me one at a time';

type PathName = 'direct' | 'gateway';
type Mode = 'json' | 'stream';

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

/** What the matrix sends, for the results file. */
export function matrixSettings(quick: boolean) {
  const scale = (r: Record<number, number>) => Object.fromEntries(Object.entries(r).map(([c, n]) => [c, quick ? Math.ceil(n / 4) : n]));
  return {
    concurrencies: CONCURRENCIES,
    warmupPerCell: WARMUP,
    requestsPerCell: scale(REQUESTS),
    maxCellMs: MAX_CELL_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    request: { messages: MESSAGES, stream: false },
    streaming: {
      concurrencies: STREAM_CONCURRENCIES,
      warmupPerCell: STREAM_WARMUP,
      requestsPerCell: scale(STREAM_REQUESTS),
      request: { messages: STREAM_MESSAGES, stream: true, stream_options: { include_usage: true } },
      fakeChunkDelayMs: STREAM_CHUNK_DELAY_MS,
      firstContent: 'time from sending the request to the first chunk with non-empty content',
    },
  };
}

export interface Cell extends CellStats {
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

export interface Added {
  provider: ProviderName;
  mode: Mode;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  /** Streams: milliseconds the gateway adds to the time to first content. */
  firstContent: { p50Ms: number; p99Ms: number } | null;
}

export interface MatrixResult {
  cells: Cell[];
  addedByGateway: Added[];
  /** VmHWM of each process at the end of the matrix: its peak over its whole life until then. */
  peakMemoryMb: Record<string, number | null>;
}

/** The provider matrix: needs worker-ollama besides the stack's gateway and worker-openai; starts it and stops it at the end. */
export async function runMatrix(stack: BenchStack, signal: AbortSignal, quick: boolean): Promise<MatrixResult> {
  // BENCH_QUICK: a quarter of the requests (p99 is then less stable).
  const scale = (n: number) => (quick ? Math.ceil(n / 4) : n);
  const ollamaWorker = await stack.startWorker('worker-ollama');
  const gateway = stack.gateways[0].child;
  const gatewayUrl = stack.gateways[0].url;
  const fakeUrls = stack.fakeUrls;
  const key = stack.key;
  const watched: Record<string, number> = {
    gateway: gateway.pid,
    'worker-openai': stack.workers.find((w) => w.app === 'worker-openai')!.child.pid,
    'worker-ollama': ollamaWorker.pid,
    'fake-upstreams': stack.fakes.pid,
    bench: process.pid,
  };
  if (stack.redisPid) watched.redis = stack.redisPid;
  const cpuSnapshot = () => Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, cpuTimeMs(pid)]));

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
        await stack.takeUpstreamCounters();
        const cpuBefore = cpuSnapshot();
        const stats = await runCell(targets[path], {
          concurrency,
          warmup: plan.warmup,
          requests: scale(plan.requests[concurrency]),
          maxDurationMs: MAX_CELL_MS,
          timeoutMs: REQUEST_TIMEOUT_MS,
          signal,
        });
        const cpuAfter = cpuSnapshot();
        const upstream = (await stack.takeUpstreamCounters())[provider.name];
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

  // VmHWM is the peak over each process's whole life, so read it just before stopping worker-ollama.
  const peak: Record<string, number | null> = Object.fromEntries(Object.entries(watched).map(([name, pid]) => [name, peakMemoryMb(pid)]));
  await stack.stop(ollamaWorker);
  return { cells, addedByGateway: addedByGateway(cells), peakMemoryMb: peak };
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

export function table(rows: string[][], rightAligned: boolean[]): string {
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

export function matrixReport({ cells, addedByGateway: added, peakMemoryMb: memory }: MatrixResult): string {
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
