import { queueName } from '@app/contracts';
import { type Deployment, type GatewayConfig, startWorkerHint } from '@app/config';
import type { QueueTarget } from '@app/queue';

/** The queue a deployment's calls go to (its backend's), its depth limit, and what to start when nobody consumes it. */
export function queueTargetOf(config: GatewayConfig, deployment: Deployment): QueueTarget {
  return { queue: queueName(deployment.backend), maxDepth: config.maxQueueDepth(deployment.backend), startHint: startWorkerHint(deployment) };
}

/** The queues of every backend config.yaml knows: the gateway opens them at start. */
export function configuredQueues(config: GatewayConfig): string[] {
  return config.backends().map(queueName);
}
