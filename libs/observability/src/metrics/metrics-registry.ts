import { Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets for whole calls and upstream calls: LLM answers take from a fraction of a second to minutes. */
export const CALL_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** Buckets for waits that are usually short: queue wait, time to first token. */
export const WAIT_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * A registry of this app instance's own, never prom-client's global one, so several apps in
 * one process (the tests) keep their numbers apart. With Node's process metrics.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
