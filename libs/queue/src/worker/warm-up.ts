import { type WorkerConfig, isModelPattern } from '@app/config';
import type { WireOperations } from './wire-operations';

/** How long one model may take to load before the warm-up gives up on it (a large model from disk takes a while). */
export const WARM_UP_TIMEOUT_MS = 300_000;

interface WarmUpLog {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Loads the models of this worker's deployments that ask for it (`litellm_params.warm_up: true`)
 * on their upstreams, one after another (a local GPU loads one model at a time), so the first
 * user call does not pay for loading. Logs each outcome; a failure only means the first call
 * loads the model itself.
 */
export async function warmUpDeployments(
  config: Pick<WorkerConfig, 'wire' | 'models'>,
  operations: Pick<WireOperations, 'warmUp'>,
  log: WarmUpLog,
): Promise<void> {
  const wanted = config.models.deployments().filter((d) => d.wire === config.wire && d.extraParams.warm_up === true && !isModelPattern(d.modelName));
  for (const deployment of wanted) {
    const started = Date.now();
    try {
      if (await operations.warmUp(deployment, WARM_UP_TIMEOUT_MS)) {
        log.log(`warmed up ${deployment.litellmModel} (model "${deployment.modelName}") in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } else {
        log.warn(`warm_up is set on model "${deployment.modelName}", but provider ${deployment.provider} has nothing to warm up`);
      }
    } catch (err) {
      log.warn(`could not warm up ${deployment.litellmModel} (model "${deployment.modelName}"): ${(err as Error).message}; its first call will load it`);
    }
  }
}
