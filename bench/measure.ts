/**
 * One measured cell with what the processes spent on it: `runCell` from load.ts, plus the CPU time
 * of every watched process per request and the highest resident memory seen while it ran.
 */
import { readFileSync } from 'node:fs';
import { cpuTimeMs } from '@test/support';
import { type CellOptions, type CellStats, type Target, runCell } from './load';

const RSS_POLL_MS = 100;

export interface MeasuredCell extends CellStats {
  /** CPU ms each watched process spent during the cell (warm-up included), per request sent; null if unreadable. */
  cpuMsPerRequest: Record<string, number | null>;
  /** Highest VmRSS seen (polled every 100 ms) during the cell, MB. */
  peakRssMb: Record<string, number | null>;
}

/** Resident memory now (VmRSS in /proc/<pid>/status), MB; null if unreadable. */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** `watched`: process name → pid. Several targets run at once (each with `options`), e.g. one per gateway. */
export async function measureCell(targets: Target | Target[], options: CellOptions, watched: Record<string, number>): Promise<MeasuredCell> {
  const list = Array.isArray(targets) ? targets : [targets];
  const names = Object.keys(watched);
  const peak: Record<string, number | null> = Object.fromEntries(names.map((n) => [n, rssMb(watched[n])]));
  const poll = setInterval(() => {
    for (const n of names) {
      const mb = rssMb(watched[n]);
      if (mb !== null) peak[n] = Math.max(peak[n] ?? 0, mb);
    }
  }, RSS_POLL_MS);
  const before = Object.fromEntries(names.map((n) => [n, cpuTimeMs(watched[n])]));
  let all: CellStats[];
  try {
    all = await Promise.all(list.map((t) => runCell(t, options)));
  } finally {
    clearInterval(poll);
  }
  const stats = list.length === 1 ? all[0] : combine(all);
  const cpuMsPerRequest = Object.fromEntries(
    names.map((n) => {
      const after = cpuTimeMs(watched[n]);
      const start = before[n];
      return [n, after === null || start === null ? null : Math.round(((after - start) / stats.sent) * 1000) / 1000];
    }),
  );
  return { ...stats, cpuMsPerRequest, peakRssMb: peak };
}

/** Cells run side by side (one per gateway): counts add up; latencies are the worst of them (only the rate is used). */
function combine(cells: CellStats[]): CellStats {
  const sum = (f: (c: CellStats) => number) => cells.reduce((s, c) => s + f(c), 0);
  const max = (f: (c: CellStats) => number) => Math.max(...cells.map(f));
  return {
    sent: sum((c) => c.sent),
    ok: sum((c) => c.ok),
    errors: sum((c) => c.errors),
    errorSamples: cells.flatMap((c) => c.errorSamples).slice(0, 5),
    truncated: cells.some((c) => c.truncated),
    durationMs: max((c) => c.durationMs),
    rps: sum((c) => c.rps),
    p50Ms: max((c) => c.p50Ms),
    p99Ms: max((c) => c.p99Ms),
    meanMs: max((c) => c.meanMs),
    maxMs: max((c) => c.maxMs),
    firstContent: null,
  };
}
