import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { modelInfoView } from '@app/config';
import { type AuthContext, mayUseModel } from '../auth/auth-context';
import { AdminOnly, Auth } from '../auth/auth.decorators';
import { parseBody } from '../http/parse-body';
import { ModelAdminService } from './model-admin.service';
import { ModelCatalog } from './model-catalog.service';
import { deleteModelSchema, newModelSchema, updateModelSchema } from './model-requests.schema';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema } from '../http/api-docs';

/** LiteLLM's model endpoints. Changes need STORE_MODEL_IN_DB=true and the master key. */
@ApiTags('Models (admin)')
@ApiBearerAuth()
@Controller()
export class ModelAdminController {
  constructor(
    private readonly admin: ModelAdminService,
    private readonly catalog: ModelCatalog,
  ) {}

  @Post('model/new')
  @ApiOperation({
    summary: 'Add a model (STORE_MODEL_IN_DB=true, master key)',
    description: 'A config.yaml `model_list` entry; secret params are stored encrypted and never returned.',
  })
  @ApiBody({ schema: openApiSchema(newModelSchema) })
  @HttpCode(200)
  @AdminOnly()
  create(@Body() body: unknown) {
    return this.admin.create(parseBody(newModelSchema, body));
  }

  @Post('model/update')
  @ApiOperation({ summary: 'Change a stored model; fields not sent stay as they are' })
  @ApiBody({ schema: openApiSchema(updateModelSchema) })
  @HttpCode(200)
  @AdminOnly()
  update(@Body() body: unknown) {
    return this.admin.update(parseBody(updateModelSchema, body));
  }

  @Post('model/delete')
  @ApiOperation({ summary: 'Delete a stored model' })
  @ApiBody({ schema: openApiSchema(deleteModelSchema) })
  @HttpCode(200)
  @AdminOnly()
  delete(@Body() body: unknown) {
    return this.admin.delete(parseBody(deleteModelSchema, body).id);
  }

  /** Every deployment the caller may use, config.yaml and stored: settings (masked) for the master key, names and model_info for a virtual key. */
  @Get(['model/info', 'v1/model/info'])
  @ApiOperation({
    summary: 'Deployments this key may use, config.yaml and stored',
    description:
      'A virtual key sees `model_name`, `litellm_params.model` and `model_info`; the master key also the other `litellm_params`, with credentials masked. Nothing read from the environment is ever returned.',
  })
  @ApiQuery({ name: 'litellm_model_id', required: false })
  info(@Auth() auth: AuthContext, @Query('litellm_model_id') id?: string) {
    const viewer = auth.kind === 'master' ? 'admin' : 'key';
    const data = this.catalog.models
      .deployments()
      .filter((d) => mayUseModel(auth, d.modelName, this.catalog.models) && (!id || d.id === id))
      .map((d) => modelInfoView(d, this.catalog.isStored(d.id), viewer));
    return { data };
  }
}
