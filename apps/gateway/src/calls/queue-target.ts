import { queueName } from '@app/contracts';
import { type Deployment, type GatewayConfig, startWorkerHint } from '@app/config';
import type { QueueTarget } from '@app/queue';

/**
 * Each config's targets by deployment: asked for on every call, and the same for a deployment as
 * long as it exists (its backend and wire do not change; config.yaml's depth limits are read once).
 */
const TARGETS = new WeakMap<GatewayConfig, WeakMap<Deployment, QueueTarget>>();

/** The queue a deployment's calls go to (its backend's), its depth limit, and what to start when nobody consumes it. */
export function queueTargetOf(config: GatewayConfig, deployment: Deployment): QueueTarget {
  let byDeployment = TARGETS.get(config);
  if (!byDeployment) TARGETS.set(config, (byDeployment = new WeakMap()));
  let target = byDeployment.get(deployment);
  if (!target) {
    target = { queue: queueName(deployment.backend), maxDepth: config.maxQueueDepth(deployment.backend), startHint: startWorkerHint(deployment) };
    byDeployment.set(deployment, target);
  }
  return target;
}

/** The queues of every backend config.yaml knows: the gateway opens them at start. */
export function configuredQueues(config: GatewayConfig): string[] {
  return config.backends().map(queueName);
}
