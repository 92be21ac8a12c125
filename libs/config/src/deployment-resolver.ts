import { type DeploymentSpec, SwitchyardError, type Wire } from '@app/contracts';
import type { CallDefaults } from './call-settings';
import type { Deployment } from './deployment';
import type { EnvSource } from './env.schema';
import { parseModelEntry } from './model-entry';
import { isModelPattern } from './model-pattern';
import type { ModelRegistry } from './model-registry';
import { SecretBox, containsSealed } from './secret-box';

const CACHE_LIMIT = 1_000;

/** What a stored model is read against: the process environment (`os.environ/`) and config.yaml's defaults. */
export interface StoredModelContext {
  env: EnvSource;
  defaults?: CallDefaults;
}

/** Where a model stored in the database is named in messages. */
export function storedModelSource(id: string): string {
  return `database model ${id}`;
}

/** The `model_list` entry a stored model stands for. */
function entryOf(spec: Pick<DeploymentSpec, 'id' | 'model_name' | 'litellm_params' | 'model_info'>, params: Record<string, unknown>) {
  return { model_name: spec.model_name, litellm_params: params, model_info: { ...spec.model_info, id: spec.id } };
}

/**
 * A stored model as the gateway routes and shows it. Of its sealed secrets only `api_base` is
 * opened (the gateway checks it and shows it masked); the others stay sealed, for the workers.
 * Also validates a model before it is stored (problems name fields inside the entry).
 */
export function storedDeployment(
  spec: Pick<DeploymentSpec, 'id' | 'model_name' | 'litellm_params' | 'model_info'>,
  context: StoredModelContext,
  box: SecretBox,
) {
  const params = { ...spec.litellm_params };
  if (SecretBox.isSealed(params.api_base)) {
    try {
      params.api_base = box.open(params.api_base);
    } catch {
      return { problems: [{ field: 'litellm_params.api_base', message: 'cannot be opened: SALT_KEY differs from the one it was stored with' }] };
    }
  }
  return parseModelEntry(entryOf(spec, params), storedModelSource(spec.id), { ...context, needsSecretsOf: [] });
}

/**
 * The worker's view of a job's deployment: config.yaml entries by id, database models from the
 * spec the job carries, their secrets opened here and nowhere else.
 */
export class DeploymentResolver {
  private readonly box?: SecretBox;
  private readonly stored = new Map<string, Deployment>();

  constructor(
    private readonly wire: Wire,
    private readonly configured: ModelRegistry,
    private readonly context: StoredModelContext,
    saltKey: string | undefined,
  ) {
    this.box = saltKey ? new SecretBox(saltKey) : undefined;
  }

  /** `upstreamModel`: the job's, for a wildcard deployment (`openai/*`) the model this call goes to. */
  resolve(deploymentId: string, spec: DeploymentSpec | undefined, modelName: string, upstreamModel?: string): Deployment {
    const deployment = spec ? this.fromSpec(spec) : this.configured.deployment(deploymentId);
    if (!deployment) {
      throw new SwitchyardError(
        'service_unavailable',
        `deployment ${deploymentId} of model "${modelName}" is not in this worker's config.yaml; restart the workers after changing it`,
      );
    }
    if (deployment.wire !== this.wire) {
      // A queue of its own (model_info.queue) consumed by a worker of the other wire (WORKER_QUEUES).
      throw new SwitchyardError(
        'service_unavailable',
        `deployment ${deploymentId} of model "${modelName}" is not in this worker's wire (${this.wire}): worker-${deployment.wire} serves it; the WORKER_QUEUES that names chat-${deployment.backend} is on the wrong worker`,
      );
    }
    if (isModelPattern(deployment.modelName)) {
      if (!upstreamModel || isModelPattern(upstreamModel)) {
        throw new SwitchyardError('internal_error', `deployment ${deploymentId} of model "${modelName}" is a wildcard and the job names no upstream model`);
      }
      return { ...deployment, upstreamModel };
    }
    return deployment;
  }

  private fromSpec(spec: DeploymentSpec): Deployment {
    const cacheKey = `${spec.id}@${spec.version}`;
    const cached = this.stored.get(cacheKey);
    if (cached) return cached;
    const deployment = this.parse(spec);
    if (this.stored.size >= CACHE_LIMIT) this.stored.delete(this.stored.keys().next().value as string);
    this.stored.set(cacheKey, deployment);
    return deployment;
  }

  private parse(spec: DeploymentSpec): Deployment {
    if (containsSealed(spec.litellm_params) && !this.box) {
      throw new SwitchyardError(
        'service_unavailable',
        `worker-${this.wire} cannot open the credentials of model "${spec.model_name}": set SALT_KEY (or LITELLM_SALT_KEY, or LITELLM_MASTER_KEY) to the gateway's value`,
      );
    }
    let params: Record<string, unknown>;
    try {
      params = this.box ? this.box.openParams(spec.litellm_params) : spec.litellm_params;
    } catch {
      throw new SwitchyardError(
        'service_unavailable',
        `worker-${this.wire} cannot open the credentials of model "${spec.model_name}": its SALT_KEY differs from the gateway's`,
      );
    }
    const { deployment, problems } = parseModelEntry(entryOf(spec, params), storedModelSource(spec.id), { ...this.context, needsSecretsOf: [this.wire] });
    if (!deployment) {
      const detail = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      throw new SwitchyardError('service_unavailable', `model "${spec.model_name}" cannot be served by worker-${this.wire}: ${detail}`);
    }
    return deployment;
  }
}
