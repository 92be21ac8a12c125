import { NO_KNOWN_MODELS } from '../known-models';
import { OPENAI_WIRE } from '../openai/openai-wire.operations';
import type { ProviderDescriptor } from '../provider-descriptor';

/** A vLLM server (`hosted_vllm/meta-llama/Llama-3.1-8B-Instruct`): the OpenAI wire at its own `api_base`. */
export const HOSTED_VLLM_PROVIDER: ProviderDescriptor = {
  ...OPENAI_WIRE,
  name: 'hosted_vllm',
  prefixes: ['hosted_vllm'],
  backend: 'hosted_vllm',
  needsApiBase: true,
  defaultApiBase: () => undefined,
  capabilities: {},
  models: NO_KNOWN_MODELS,
  ui: { label: 'vLLM', apiBaseHint: 'http://host:8000/v1 (required)' },
};
