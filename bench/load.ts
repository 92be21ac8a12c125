/**
 * The load generator: N closed loops over keep-alive connections, each sending the next request
 * as soon as its previous answer is read, and the statistics of one run.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface Target {
  /** Full URL of the chat endpoint. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Text a correct answer contains; a 200 without it counts as an error. */
  expect: string;
}

export interface CellOptions {
  concurrency: number;
  /** Requests sent and thrown away first: connections, JIT, caches (the key cache among them). */
  warmup: number;
  /** Requests measured. */
  requests: number;
  /** The cell stops starting requests after this long, so a slow path cannot stall the bench. */
  maxDurationMs: number;
  /** Per request; a request slower than this is an error. */
  timeoutMs: number;
  /** Ctrl-C: stop sending, drop the connections, so the apps can shut down at once. */
  signal?: AbortSignal;
}

export interface CellStats {
  /** Requests sent, warm-up included. */
  sent: number;
  /** Answered correctly, in the measured part. */
  ok: number;
  /** Failed (non-200, wrong body, transport error), measured part and warm-up together. */
  errors: number;
  errorSamples: string[];
  /** True when `maxDurationMs` ran out before all requests were sent. */
  truncated: boolean;
  durationMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

interface Phase {
  latencies: number[];
  errors: number;
  errorSamples: string[];
  durationMs: number;
  truncated: boolean;
}

export async function runCell(target: Target, options: CellOptions): Promise<CellStats> {
  const url = new URL(target.url);
  // One connection per loop, no pipelining: every loop is one client waiting for its answer.
  const pool = new Pool(url.origin, {
    connections: options.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  try {
    const deadline = performance.now() + options.maxDurationMs;
    const warmup = await runPhase(pool, url.pathname, target, options, options.warmup, deadline);
    const measured = await runPhase(pool, url.pathname, target, options, options.requests, deadline);
    options.signal?.throwIfAborted();
    return summarize(measured, warmup);
  } finally {
    await (options.signal?.aborted ? pool.destroy() : pool.close());
  }
}

async function runPhase(pool: Pool, path: string, target: Target, options: CellOptions, total: number, deadline: number): Promise<Phase> {
  const { concurrency, signal } = options;
  const phase: Phase = { latencies: [], errors: 0, errorSamples: [], durationMs: 0, truncated: false };
  const fail = (sample: string) => {
    phase.errors++;
    if (phase.errorSamples.length < 5 && !phase.errorSamples.includes(sample)) phase.errorSamples.push(sample);
  };
  let issued = 0;
  const loop = async () => {
    while (issued < total && !signal?.aborted) {
      if (performance.now() > deadline) {
        phase.truncated = true;
        return;
      }
      issued++;
      const started = performance.now();
      try {
        const res = await pool.request({ path, method: 'POST', headers: target.headers, body: target.body, signal });
        const text = await res.body.text();
        const elapsed = performance.now() - started;
        if (res.statusCode === 200 && text.includes(target.expect)) phase.latencies.push(elapsed);
        else fail(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
      } catch (err) {
        fail(`${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  phase.durationMs = performance.now() - started;
  return phase;
}

function summarize(measured: Phase, warmup: Phase): CellStats {
  const sorted = Float64Array.from(measured.latencies).sort();
  const ok = sorted.length;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    sent: warmup.latencies.length + warmup.errors + ok + measured.errors,
    ok,
    errors: measured.errors + warmup.errors,
    errorSamples: [...new Set([...warmup.errorSamples, ...measured.errorSamples])].slice(0, 5),
    truncated: measured.truncated || warmup.truncated,
    durationMs: Math.round(measured.durationMs),
    rps: measured.durationMs > 0 ? Math.round((ok / measured.durationMs) * 1000) : 0,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(ok ? sorted.reduce((a, b) => a + b, 0) / ok : Number.NaN),
    maxMs: round(ok ? sorted[ok - 1] : Number.NaN),
  };
}

/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
