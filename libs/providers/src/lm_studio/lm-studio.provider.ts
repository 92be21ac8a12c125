import { NO_KNOWN_MODELS } from '../known-models';
import { OPENAI_WIRE } from '../openai/openai-wire.operations';
import type { ProviderDescriptor } from '../provider-descriptor';

/** LM Studio's server (`lm_studio/qwen2.5-7b-instruct`): the OpenAI wire at its own `api_base`. */
export const LM_STUDIO_PROVIDER: ProviderDescriptor = {
  ...OPENAI_WIRE,
  name: 'lm_studio',
  prefixes: ['lm_studio'],
  backend: 'lm_studio',
  needsApiBase: true,
  defaultApiBase: () => undefined,
  capabilities: {},
  models: NO_KNOWN_MODELS,
  ui: { label: 'LM Studio', apiBaseHint: 'http://host:1234/v1 (required)' },
};
