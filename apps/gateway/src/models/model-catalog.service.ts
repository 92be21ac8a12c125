import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { DeploymentSpec } from '@app/contracts';
import { type Deployment, GatewayConfig, ModelRegistry, SecretBox, storedDeployment } from '@app/config';
import { ModelDeploymentEntity } from '@app/database';
import { ChangeNotices } from '../cluster/change-notices.service';

// A safety net under the change notices: a replica that missed one catches up within this time.
const REFRESH_MS = 30_000;

export function specOf(row: ModelDeploymentEntity): DeploymentSpec {
  return {
    id: row.id,
    version: row.updatedAt.toISOString(),
    model_name: row.modelName,
    litellm_params: row.litellmParams,
    model_info: row.modelInfo,
  };
}

/**
 * The models this gateway routes to: config.yaml's, plus those stored in the database when
 * STORE_MODEL_IN_DB is on. Read on every request from memory; reloaded from Postgres when any
 * gateway announces a change, and every 30 s.
 */
@Injectable()
export class ModelCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelCatalog.name);
  private current: ModelRegistry;
  private specs = new Map<string, DeploymentSpec>();
  private generation = 0;
  private timer?: NodeJS.Timeout;
  /** Opens the sealed `api_base` of stored models, to check and show it masked; other secrets stay sealed. */
  readonly box: SecretBox;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @InjectRepository(ModelDeploymentEntity) private readonly rows: Repository<ModelDeploymentEntity>,
    private readonly notices: ChangeNotices,
  ) {
    this.current = config.models;
    // SALT_KEY always has a value: it falls back to the master key.
    this.box = new SecretBox(config.env.SALT_KEY ?? config.env.MASTER_KEY);
  }

  get storeEnabled(): boolean {
    return this.config.env.STORE_MODEL_IN_DB;
  }

  /** Config and stored models together. */
  get models(): ModelRegistry {
    return this.current;
  }

  /** What a worker needs to serve a stored model; undefined for config.yaml models. */
  spec(deploymentId: string): DeploymentSpec | undefined {
    return this.specs.get(deploymentId);
  }

  isStored(deploymentId: string): boolean {
    return this.specs.has(deploymentId);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.storeEnabled) return;
    await this.reload();
    const reloadQuietly = () => void this.reload().catch((err: Error) => this.logger.warn(`could not reload stored models: ${err.message}`));
    this.notices.on('models', reloadQuietly);
    this.notices.onResync(reloadQuietly);
    this.timer = setInterval(reloadQuietly, REFRESH_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reloads here, then tells every other gateway to. */
  async changed(): Promise<void> {
    await this.reload();
    await this.notices.publish('models', ['changed']);
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    const rows = await this.rows.find({ order: { createdAt: 'ASC', id: 'ASC' } });
    if (generation !== this.generation) return;
    const stored: Deployment[] = [];
    const specs = new Map<string, DeploymentSpec>();
    for (const row of rows) {
      const spec = specOf(row);
      const { deployment, problems } = storedDeployment(spec, { env: this.config.source, defaults: this.config.defaults }, this.box);
      if (deployment) {
        stored.push(deployment);
        specs.set(row.id, spec);
      } else {
        this.logger.warn(`stored model ${row.id} ("${row.modelName}") is not served: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
      }
    }
    this.current = new ModelRegistry([...this.config.models.deployments(), ...stored]);
    this.specs = specs;
  }
}
