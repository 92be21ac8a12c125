import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SwitchyardError } from '@app/contracts';
import { type EntryProblem, GatewayConfig, SecretBox, modelInfoView, storedDeployment } from '@app/config';
import { ModelDeploymentEntity } from '@app/database';
import { orUnavailable } from '../http/or-unavailable';
import { ModelCatalog } from './model-catalog.service';
import type { NewModelRequest, UpdateModelRequest } from './model-requests.schema';

function invalid(problems: EntryProblem[]): SwitchyardError {
  const [first] = problems;
  return new SwitchyardError('invalid_request', `invalid model: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { param: first.field });
}

/** Models stored in the database (STORE_MODEL_IN_DB): LiteLLM's /model/* endpoints. */
@Injectable()
export class ModelAdminService {
  constructor(
    @InjectRepository(ModelDeploymentEntity) private readonly rows: Repository<ModelDeploymentEntity>,
    private readonly catalog: ModelCatalog,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  private get box(): SecretBox {
    return this.catalog.box;
  }

  async create(request: NewModelRequest) {
    this.assertStoreEnabled();
    const id = request.model_info?.id ?? randomUUID();
    if (this.catalog.models.deployment(id)) {
      throw new SwitchyardError('invalid_request', `a model with id "${id}" already exists`, { param: 'model_info.id' });
    }
    const entry = { id, model_name: request.model_name, litellm_params: request.litellm_params, model_info: withoutId(request.model_info) };
    const { problems } = storedDeployment(entry, { env: this.config.source, defaults: this.config.defaults }, this.box);
    if (problems.length) throw invalid(problems);
    const row = this.rows.create({ id, modelName: entry.model_name, litellmParams: this.box.sealParams(entry.litellm_params), modelInfo: entry.model_info });
    await orUnavailable(this.rows.insert(row as QueryDeepPartialEntity<ModelDeploymentEntity>));
    await this.catalog.changed();
    return this.view(id);
  }

  async update(request: UpdateModelRequest) {
    this.assertStoreEnabled();
    const id = (request.model_info?.id ?? request.id)!;
    const row = await this.storedRow(id);
    const entry = {
      id,
      model_name: request.model_name ?? row.modelName,
      litellm_params: { ...row.litellmParams, ...request.litellm_params },
      model_info: { ...row.modelInfo, ...withoutId(request.model_info) },
    };
    const { problems } = storedDeployment(entry, { env: this.config.source, defaults: this.config.defaults }, this.box);
    if (problems.length) throw invalid(problems);
    row.modelName = entry.model_name;
    row.litellmParams = this.box.sealParams(entry.litellm_params);
    row.modelInfo = entry.model_info;
    await orUnavailable(this.rows.save(row));
    await this.catalog.changed();
    return this.view(id);
  }

  async delete(id: string) {
    this.assertStoreEnabled();
    await this.storedRow(id);
    await orUnavailable(this.rows.delete({ id }));
    await this.catalog.changed();
    return { message: `model ${id} deleted`, id };
  }

  private async storedRow(id: string): Promise<ModelDeploymentEntity> {
    const row = await orUnavailable(this.rows.findOneBy({ id }));
    if (row) return row;
    if (this.catalog.models.deployment(id)) {
      throw new SwitchyardError('invalid_request', `model ${id} is defined in config.yaml; change it there and restart`, { param: 'model_info.id' });
    }
    throw new SwitchyardError('not_found', `model ${id} not found`, { param: 'model_info.id' });
  }

  private view(id: string) {
    const deployment = this.catalog.models.deployment(id);
    if (!deployment) throw new SwitchyardError('internal_error', `model ${id} was saved but is not served; see the gateway log`);
    return modelInfoView(deployment, true, 'admin');
  }

  private assertStoreEnabled(): void {
    if (!this.catalog.storeEnabled) {
      throw new SwitchyardError('invalid_request', 'models can be added through the API only when STORE_MODEL_IN_DB=true; otherwise edit config.yaml');
    }
  }
}

function withoutId(info: Record<string, unknown> | undefined): Record<string, unknown> {
  const { id: _id, ...rest } = info ?? {};
  return rest;
}
