import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type ProviderChoice, listProviders } from '@app/config';
import { AdminOnly } from '../auth/auth.decorators';
import { ERROR_SCHEMA } from '../http/api-docs';

/** A provider as the API shows it: the API's snake_case field names. */
function providerView(p: ProviderChoice) {
  return {
    name: p.name,
    label: p.label,
    wire: p.wire,
    prefixes: p.prefixes,
    needs_api_base: p.needsApiBase,
    default_api_base: p.defaultApiBase,
    api_base_hint: p.apiBaseHint,
    operations: p.operations,
  };
}

const PROVIDER_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', example: 'hosted_vllm', description: 'the `litellm_params.model` prefix a new model of this provider gets' },
    label: { type: 'string', example: 'vLLM' },
    wire: { type: 'string', enum: ['openai', 'ollama'], description: 'the wire format of the worker app that calls it' },
    prefixes: { type: 'array', items: { type: 'string' }, description: 'every `litellm_params.model` prefix that names it' },
    needs_api_base: { type: 'boolean' },
    default_api_base: { type: 'string', nullable: true, description: 'the `api_base` of a model that sets none (`OPENAI_API_BASE` wins for openai)' },
    api_base_hint: { type: 'string' },
    operations: { type: 'array', items: { type: 'string', example: 'chat' } },
  },
};

/** The providers a model can name, for the admin UI's choices. */
@ApiTags('Models (admin)')
@ApiBearerAuth()
@Controller()
export class ProviderListController {
  @Get('provider/list')
  @ApiOperation({
    summary: 'Providers a model can name (master key)',
    description: 'What the admin UI offers when a model is added: the prefix to write, whether `api_base` is required, its default and a hint.',
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { data: { type: 'array', items: PROVIDER_SCHEMA } } } })
  @ApiResponse({ status: 403, description: 'Not the master key', schema: ERROR_SCHEMA })
  @AdminOnly()
  list() {
    return { data: listProviders().map(providerView) };
  }
}
