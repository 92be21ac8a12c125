/**
 * The load generator: N closed loops over keep-alive connections, each sending the next request
 * as soon as its previous answer is read, and the statistics of one run.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { splitLines } from '../libs/providers/src/http/upstream-http.client';

/**
 * How an answer is read. `json`: whole. `openai-sse` (`data: {chunk}` … `data: [DONE]`) and
 * `ollama-ndjson` (one JSON object a line, the last with `done: true`): line by line as it
 * arrives, timing the first piece of content.
 */
export type AnswerFormat = 'json' | 'openai-sse' | 'ollama-ndjson';

export interface Target {
  /** Full URL of the chat endpoint. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Text a correct answer contains; a 200 without it counts as an error. For a stream, the
   * content of its chunks joined must contain it, and the stream must end properly.
   */
  expect: string;
  /** Default `json`. */
  format?: AnswerFormat;
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

export interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
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
  /** Streams only: time to the first content chunk. The fields above are then the time to the stream's end. */
  firstContent: LatencyStats | null;
}

interface Phase {
  latencies: number[];
  /** Streams: time to first content of each correct answer, in the order of `latencies`. */
  firstContent: number[];
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
  // One listener for the whole cell: handing the signal to every request would add one per
  // request in flight (undici removes it only once the body is closed), past Node's limit of 10.
  const { signal } = options;
  const hangUp = () => void pool.destroy(signal?.reason as Error).catch(() => undefined);
  signal?.addEventListener('abort', hangUp, { once: true });
  try {
    const deadline = performance.now() + options.maxDurationMs;
    const warmup = await runPhase(pool, url.pathname, target, options, options.warmup, deadline);
    const measured = await runPhase(pool, url.pathname, target, options, options.requests, deadline);
    signal?.throwIfAborted();
    return summarize(measured, warmup, (target.format ?? 'json') !== 'json');
  } finally {
    signal?.removeEventListener('abort', hangUp);
    await (signal?.aborted ? pool.destroy() : pool.close());
  }
}

async function runPhase(pool: Pool, path: string, target: Target, options: CellOptions, total: number, deadline: number): Promise<Phase> {
  const { concurrency, signal } = options;
  const phase: Phase = { latencies: [], firstContent: [], errors: 0, errorSamples: [], durationMs: 0, truncated: false };
  const format = target.format ?? 'json';
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
        const res = await pool.request({ path, method: 'POST', headers: target.headers, body: target.body });
        if (res.statusCode !== 200 || format === 'json') {
          const text = await res.body.text();
          const elapsed = performance.now() - started;
          if (res.statusCode === 200 && text.includes(target.expect)) phase.latencies.push(elapsed);
          else fail(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
          continue;
        }
        const answer = await readStream(res.body, format, started);
        const elapsed = performance.now() - started;
        if (answer.ended && answer.firstContentMs !== undefined && answer.content.includes(target.expect)) {
          phase.latencies.push(elapsed);
          phase.firstContent.push(answer.firstContentMs);
        } else {
          fail(`stream ${answer.ended ? 'ended' : 'did not end properly'}: ${answer.sample}`);
        }
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

interface StreamedAnswer {
  /** The content pieces joined. */
  content: string;
  /** From the start of the request to the first non-empty content piece. */
  firstContentMs?: number;
  /** `data: [DONE]`, or the NDJSON line with `done: true`, arrived. */
  ended: boolean;
  /** For an error message: the first line that was an error or not understood, else the start of the content. */
  sample: string;
}

/** Reads a streamed answer to its end (as a client would), noting when its first content arrived. */
async function readStream(body: AsyncIterable<Uint8Array>, format: Exclude<AnswerFormat, 'json'>, started: number): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { content: '', ended: false, sample: '' };
  for await (const line of splitLines(body)) {
    const piece = format === 'openai-sse' ? sseLine(line) : ndjsonLine(line);
    if (piece === undefined) continue;
    if ('end' in piece) answer.ended = true;
    else if ('content' in piece) {
      if (piece.content !== '' && answer.firstContentMs === undefined) answer.firstContentMs = performance.now() - started;
      answer.content += piece.content;
    } else {
      answer.sample ||= line.slice(0, 200);
    }
  }
  answer.sample ||= answer.content.slice(0, 200);
  return answer;
}

type StreamPiece = { content: string } | { end: true } | { unexpected: true } | undefined;

/** An SSE line: a chunk's content (maybe empty), the end at `[DONE]`, nothing for blank lines and comments. */
function sseLine(line: string): StreamPiece {
  if (!line.startsWith('data:')) return undefined;
  const data = line.slice(5).trim();
  if (data === '[DONE]') return { end: true };
  const chunk = parseJson(data) as { choices?: Array<{ delta?: { content?: unknown } }>; error?: unknown } | undefined;
  if (!chunk || chunk.error !== undefined || !Array.isArray(chunk.choices)) return { unexpected: true };
  const content = chunk.choices[0]?.delta?.content;
  return { content: typeof content === 'string' ? content : '' };
}

/** An Ollama NDJSON line: its message content, the end at the `done: true` line. */
function ndjsonLine(line: string): StreamPiece {
  if (line.trim() === '') return undefined;
  const object = parseJson(line) as { message?: { content?: unknown }; done?: unknown; error?: unknown } | undefined;
  if (!object || object.error !== undefined) return { unexpected: true };
  if (object.done === true) return { end: true };
  return { content: typeof object.message?.content === 'string' ? object.message.content : '' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function latencyStats(values: number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(n ? sorted.reduce((a, b) => a + b, 0) / n : Number.NaN),
    maxMs: round(n ? sorted[n - 1] : Number.NaN),
  };
}

function summarize(measured: Phase, warmup: Phase, streamed: boolean): CellStats {
  const ok = measured.latencies.length;
  return {
    sent: warmup.latencies.length + warmup.errors + ok + measured.errors,
    ok,
    errors: measured.errors + warmup.errors,
    errorSamples: [...new Set([...warmup.errorSamples, ...measured.errorSamples])].slice(0, 5),
    truncated: measured.truncated || warmup.truncated,
    durationMs: Math.round(measured.durationMs),
    rps: measured.durationMs > 0 ? Math.round((ok / measured.durationMs) * 1000) : 0,
    ...latencyStats(measured.latencies),
    firstContent: streamed ? latencyStats(measured.firstContent) : null,
  };
}

/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
