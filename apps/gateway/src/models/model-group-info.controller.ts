import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { modelGroupInfo } from '@app/config';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { Auth } from '../auth/auth.decorators';
import { ModelCatalog } from './model-catalog.service';

/** LiteLLM's `/model_group/info`: what each model group the key may use can do and costs. */
@ApiTags('Models (admin)')
@ApiBearerAuth()
@Controller()
export class ModelGroupInfoController {
  constructor(private readonly catalog: ModelCatalog) {}

  @Get(['model_group/info', 'v1/model_group/info'])
  @ApiOperation({
    summary: 'Model groups this key may use, in LiteLLM’s shape',
    description: 'Mode, providers, token bounds, prices, summed rpm/tpm, capabilities and supported OpenAI parameters; no deployment settings, no secrets.',
  })
  @ApiQuery({ name: 'model_group', required: false })
  info(@Auth() auth: AuthContext, @Query('model_group') only?: string) {
    const models = this.catalog.models;
    const data = models
      .modelNames()
      .filter((name) => (!only || name === only) && mayUseModel(auth, name, models))
      .map((name) => modelGroupInfo(name, models.group(name)));
    return { data };
  }
}
