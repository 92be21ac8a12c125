import { Controller, Get, Param } from '@nestjs/common';
import { type ModelObject, SwitchyardError } from '@app/contracts';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { ModelCatalog } from './model-catalog.service';
import { ModelNames } from './model-names.service';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

/** OpenAI's model list: the model names the calling key may use. */
@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class ModelsController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly names: ModelNames,
  ) {}

  @Get(['v1/models', 'models'])
  @ApiOperation({ summary: 'Models this key may use (OpenAI list format); a wildcard model_name lists the models it serves' })
  async list(@Auth() auth: AuthContext) {
    const data = (await this.names.visibleTo(auth)).map((name) => this.modelObject(name));
    return { object: 'list', data };
  }

  /** Model names contain slashes (`openai/gpt-4o-mini`): accepted raw or percent-encoded. */
  @Get(['v1/models/*id', 'models/*id'])
  @ApiOperation({ summary: 'One model; the id raw (`/v1/models/openai/gpt-4o-mini`) or percent-encoded' })
  get(@Auth() auth: AuthContext, @Param('id') id: string | string[]) {
    const name = Array.isArray(id) ? id.join('/') : id;
    if (!this.catalog.models.resolve(name)) {
      throw new SwitchyardError('model_not_found', `model "${name}" does not exist`, { param: 'model' });
    }
    if (!mayUseModel(auth, name, this.catalog.models))
      throw new SwitchyardError('model_not_allowed', `this key may not use model "${name}"`, { param: 'model' });
    return this.modelObject(name);
  }

  private modelObject(name: string): ModelObject {
    return { id: name, object: 'model', created: this.created, owned_by: this.catalog.models.resolve(name)?.deployments[0]?.provider ?? 'switchyard' };
  }
}
