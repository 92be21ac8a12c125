import { Controller, Get, Param } from '@nestjs/common';
import { type ModelObject, SwitchyardError } from '@app/contracts';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { ModelCatalog } from './model-catalog.service';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

/** OpenAI's model list: the model names the calling key may use. */
@ApiTags('OpenAI')
@ApiBearerAuth()
@Controller()
export class ModelsController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly catalog: ModelCatalog) {}

  @Get(['v1/models', 'models'])
  @ApiOperation({ summary: 'Models this key may use (OpenAI list format)' })
  list(@Auth() auth: AuthContext) {
    const data = this.catalog.models
      .modelNames()
      .filter((name) => mayUseModel(auth, name))
      .map((name) => this.modelObject(name));
    return { object: 'list', data };
  }

  /** Model names contain slashes (`openai/gpt-4o-mini`): accepted raw or percent-encoded. */
  @Get(['v1/models/*id', 'models/*id'])
  @ApiOperation({ summary: 'One model; the id raw (`/v1/models/openai/gpt-4o-mini`) or percent-encoded' })
  get(@Auth() auth: AuthContext, @Param('id') id: string | string[]) {
    const name = Array.isArray(id) ? id.join('/') : id;
    if (this.catalog.models.group(name).length === 0) {
      throw new SwitchyardError('model_not_found', `model "${name}" does not exist`, { param: 'model' });
    }
    if (!mayUseModel(auth, name)) throw new SwitchyardError('model_not_allowed', `this key may not use model "${name}"`, { param: 'model' });
    return this.modelObject(name);
  }

  private modelObject(name: string): ModelObject {
    return { id: name, object: 'model', created: this.created, owned_by: this.catalog.models.group(name)[0].provider };
  }
}
