import { type Wire, queueName } from '@app/contracts';
import { PROVIDERS, defaultBackendsOfWire } from '@app/providers';
import { type CallDefaults, providerSettingsOf } from './call-settings';
import { ConfigError } from './config-error';
import type { Deployment } from './deployment';

/** One queue a worker consumes, and how many of its calls the worker runs at once. */
export interface WorkerQueue {
  backend: string;
  /** `chat-<backend>`. */
  queue: string;
  concurrency: number;
}

/** `WORKER_QUEUES` entry: a backend, and its concurrency when the entry says `name:N`. */
export interface WorkerQueueChoice {
  backend: string;
  concurrency?: number;
}

/** Who rides a backend: the provider whose default it is, else the config.yaml deployments that name it. */
type Rider = { name: string; wire: Wire };

/** Every backend config.yaml knows and who rides it: each provider's default, then each `model_info.queue`. */
export function backendRiders(deployments: readonly Deployment[]): Map<string, Rider[]> {
  const riders = new Map<string, Rider[]>();
  const add = (backend: string, rider: Rider) => riders.set(backend, [...(riders.get(backend) ?? []), rider]);
  for (const p of PROVIDERS) add(p.backend, { name: p.name, wire: p.wire });
  for (const d of deployments) if (!PROVIDERS.some((p) => p.backend === d.backend)) add(d.backend, { name: d.provider, wire: d.wire });
  return riders;
}

/**
 * What stops a model list's backends: one ridden by deployments of two wires (a queue is served by
 * one kind of worker), and a `queue_settings` entry for a backend nothing rides (a typo).
 */
export function backendProblems(deployments: readonly Deployment[], defaults: CallDefaults, fileLabel: string): string[] {
  const problems: string[] = [];
  const riders = backendRiders(deployments);
  for (const [backend, list] of riders) {
    const wires = [...new Set(list.map((r) => r.wire))];
    if (wires.length > 1)
      problems.push(
        `${fileLabel} model_info.queue: backend ${backend} is named by deployments served by ${wires.map((w) => `worker-${w}`).join(' and ')}; a queue is served by one kind of worker`,
      );
  }
  for (const backend of Object.keys(defaults.queues)) {
    if (!riders.has(backend)) {
      problems.push(
        `${fileLabel} queue_settings.${backend}: no deployment rides backend "${backend}" (known: ${[...riders.keys()].join(', ')}; a deployment names its own with model_info.queue)`,
      );
    }
  }
  return problems;
}

/** The provider whose `provider_settings` apply to a backend: its default provider, else the first config.yaml deployment on it. */
export function providerOfBackend(backend: string, deployments: readonly Deployment[]): Rider | undefined {
  return backendRiders(deployments).get(backend)?.[0];
}

/** Calls a backend's queue may hold: `queue_settings`, then its provider's (or wire's) `provider_settings`, then `fallback`. */
export function maxQueueDepthOf(backend: string, deployments: readonly Deployment[], defaults: CallDefaults, fallback: number): number {
  const provider = providerOfBackend(backend, deployments);
  const providerDepth = provider && providerSettingsOf(defaults, provider.name, provider.wire)?.max_queue_depth;
  return defaults.queues[backend]?.max_queue_depth ?? providerDepth ?? fallback;
}

/**
 * The queues a worker of `wire` consumes. By default every backend of its wire: each provider's
 * own, plus those its config.yaml's deployments name. `WORKER_QUEUES` narrows that to the backends
 * it lists (a backend only models in the database name may be among them). Concurrency of each:
 * the `WORKER_QUEUES` entry's, else `queue_settings.<backend>.concurrency`, else `concurrency`
 * (WORKER_CONCURRENCY or the app's default).
 */
export function workerQueues(
  wire: Wire,
  deployments: readonly Deployment[],
  defaults: CallDefaults,
  env: { WORKER_QUEUES?: WorkerQueueChoice[]; WORKER_CONCURRENCY: number },
): WorkerQueue[] {
  const riders = backendRiders(deployments);
  const ofWire = [...new Set([...defaultBackendsOfWire(wire), ...deployments.filter((d) => d.wire === wire).map((d) => d.backend)])];
  const chosen: WorkerQueueChoice[] = env.WORKER_QUEUES ?? ofWire.map((backend) => ({ backend }));
  const problems: string[] = [];
  for (const { backend } of chosen) {
    const other = riders.get(backend)?.find((r) => r.wire !== wire);
    if (other)
      problems.push(`WORKER_QUEUES: backend ${backend} carries ${other.wire} calls; worker-${wire} cannot serve them (start worker-${other.wire} for it)`);
  }
  if (problems.length) throw new ConfigError(problems);
  return chosen.map(({ backend, concurrency }) => ({
    backend,
    queue: queueName(backend),
    concurrency: concurrency ?? defaults.queues[backend]?.concurrency ?? env.WORKER_CONCURRENCY,
  }));
}

/**
 * What to start so that a backend's calls are served: worker-<wire>, which consumes a provider's
 * backend by default; a backend of its own needs naming (config.yaml or WORKER_QUEUES).
 */
export function startWorkerHint(route: { backend: string; wire: Wire }): string {
  const app = `worker-${route.wire}`;
  if (PROVIDERS.some((p) => p.backend === route.backend)) return `start ${app}`;
  return `start ${app} with backend ${route.backend} in its config.yaml (model_info.queue) or in WORKER_QUEUES`;
}
