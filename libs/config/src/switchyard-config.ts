import { resolve } from 'node:path';
import { type Wire, WIRES } from '@app/contracts';
import type { CallDefaults } from './call-settings';
import { parseGatewayEnv, parseWorkerEnv, type EnvSource, type GatewayEnv, type WorkerEnv } from './env.schema';
import { DeploymentResolver } from './deployment-resolver';
import { loadModelConfig } from './model-config.loader';
import { ModelRegistry } from './model-registry';
import { type WorkerQueue, backendRiders, maxQueueDepthOf, workerQueues } from './queue-plan';
import { type RouterSettings, routerSettingsFrom } from './router-settings';

/** Everything the gateway reads from its environment and config.yaml, validated once at boot. */
export class GatewayConfig {
  private readonly depths = new Map<string, number>();

  constructor(
    readonly env: GatewayEnv,
    /** The models of config.yaml. Models stored in the database are added by the gateway's catalog. */
    readonly models: ModelRegistry,
    readonly ignoredSections: string[],
    /** The environment it was loaded from: `os.environ/` references of stored models resolve against it. */
    readonly source: EnvSource,
    /** `router_settings`: routing strategy, cooldowns, fallbacks. */
    readonly router: RouterSettings,
    /** `provider_settings`, `router_settings`, `litellm_settings`: defaults for every deployment, stored ones too. */
    readonly defaults: CallDefaults,
  ) {}

  /**
   * Calls a backend's queue may hold before new ones are refused; 0: no limit.
   * `queue_settings.<backend>`, then `provider_settings` of its provider (or wire), then MAX_QUEUE_DEPTH.
   */
  maxQueueDepth(backend: string): number {
    // Asked for every call: worked out once per backend (config.yaml does not change while the process runs).
    let depth = this.depths.get(backend);
    if (depth === undefined) {
      depth = maxQueueDepthOf(backend, this.models.deployments(), this.defaults, this.env.MAX_QUEUE_DEPTH);
      this.depths.set(backend, depth);
    }
    return depth;
  }

  /** The backends config.yaml knows (each provider's, and those `model_info.queue` names): their queues are opened at start. */
  backends(): string[] {
    return [...backendRiders(this.models.deployments()).keys()];
  }

  static load(source: EnvSource): GatewayConfig {
    const configFile = source.CONFIG_FILE || './config.yaml';
    const file = loadModelConfig(resolve(configFile), { env: source, needsSecretsOf: [] });
    // general_settings.master_key in config.yaml is honoured when the environment sets none.
    const env = parseGatewayEnv({ ...source, MASTER_KEY: source.MASTER_KEY || source.LITELLM_MASTER_KEY || file.masterKey });
    return new GatewayConfig(env, new ModelRegistry(file.deployments), file.ignoredSections, source, routerSettingsFrom(file.defaults.router), file.defaults);
  }
}

/** A worker's settings: its wire, its environment, the queues it consumes and the deployments it may serve. */
export class WorkerConfig {
  /** Resolves each job's deployment; database models' secrets are opened here. */
  readonly deployments: DeploymentResolver;
  /** One per backend it consumes, each with its concurrency. */
  readonly queues: WorkerQueue[];

  constructor(
    readonly wire: Wire,
    readonly env: WorkerEnv,
    readonly models: ModelRegistry,
    source: EnvSource,
    defaults: CallDefaults,
  ) {
    if (!WIRES.includes(wire)) throw new Error(`no wire ${String(wire)}`);
    this.deployments = new DeploymentResolver(wire, models, { env: source, defaults }, env.SALT_KEY);
    this.queues = workerQueues(wire, models.deployments(), defaults, env);
  }

  static load(wire: Wire, source: EnvSource, defaults: { healthPort: number; concurrency: number }): WorkerConfig {
    const parsed = parseWorkerEnv(source, defaults);
    const file = loadModelConfig(resolve(parsed.CONFIG_FILE), { env: source, needsSecretsOf: [wire] });
    // The gateway's salt key falls back to the master key, config.yaml's included: so does the worker's.
    const env = { ...parsed, SALT_KEY: parsed.SALT_KEY ?? file.masterKey };
    return new WorkerConfig(wire, env, new ModelRegistry(file.deployments), source, file.defaults);
  }
}
