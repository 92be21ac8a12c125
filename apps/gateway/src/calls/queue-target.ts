import { QUEUE_BY_PROVIDER } from '@app/contracts';
import type { Deployment, GatewayConfig } from '@app/config';
import type { QueueTarget } from '@app/queue';

/** The queue a deployment's calls go to, its depth limit, and the worker app that consumes it. */
export function queueTargetOf(config: GatewayConfig, deployment: Deployment): QueueTarget {
  return { queue: QUEUE_BY_PROVIDER[deployment.provider], maxDepth: config.maxQueueDepth(deployment.provider), worker: `worker-${deployment.provider}` };
}

/** Every queue config.yaml's deployments use: the gateway opens them at start. */
export function configuredQueues(config: GatewayConfig): string[] {
  return [...new Set(config.models.deployments().map((d) => queueTargetOf(config, d).queue))];
}
