import { percentile } from '@app/queue';

/** Calls kept per deployment, and how old the oldest may be. */
const WINDOW_CALLS = 100;
const WINDOW_MS = 5 * 60_000;

interface Outcome {
  at: number;
  latencyMs: number;
  failed: boolean;
}

export interface DeploymentRecent {
  /** Calls in the window (at most {@link WINDOW_CALLS}, none older than 5 minutes). */
  calls: number;
  /** Share of them that failed in a way that counts against the deployment; null without calls. */
  error_rate: number | null;
  /** Time from the gateway sending the call to its outcome (queue wait included), ms. */
  latency_ms: { p50: number | null; p95: number | null };
}

/**
 * A small rolling window of each deployment's latest call outcomes, as THIS gateway saw them
 * (each replica keeps its own): what the models page shows as recent latency and error rate.
 */
export class DeploymentStats {
  private readonly outcomes = new Map<string, Outcome[]>();

  record(deploymentId: string, latencyMs: number, failed: boolean, now = Date.now()): void {
    const list = this.outcomes.get(deploymentId) ?? [];
    list.push({ at: now, latencyMs, failed });
    if (list.length > WINDOW_CALLS) list.splice(0, list.length - WINDOW_CALLS);
    this.outcomes.set(deploymentId, list);
  }

  recent(deploymentId: string, now = Date.now()): DeploymentRecent {
    const list = (this.outcomes.get(deploymentId) ?? []).filter((o) => o.at > now - WINDOW_MS);
    const latencies = list.map((o) => o.latencyMs).sort((a, b) => a - b);
    return {
      calls: list.length,
      error_rate: list.length ? list.filter((o) => o.failed).length / list.length : null,
      latency_ms: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
    };
  }
}
