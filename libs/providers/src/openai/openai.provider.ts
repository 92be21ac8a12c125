import type { ProviderDescriptor } from '../provider-descriptor';
import { OPENAI_MODELS } from './openai-models';
import { OPENAI_WIRE } from './openai-wire.operations';

const OPENAI_BASE = 'https://api.openai.com/v1';

/** OpenAI's API: `openai/gpt-4o`, or a bare `gpt-4o-mini`; with `api_base`, any OpenAI-compatible server. */
export const OPENAI_PROVIDER: ProviderDescriptor = {
  ...OPENAI_WIRE,
  name: 'openai',
  prefixes: ['openai'],
  bareModelNames: true,
  backend: 'openai',
  needsApiBase: false,
  defaultApiBase: (env) => env.OPENAI_API_BASE || OPENAI_BASE,
  credentials: { ...OPENAI_WIRE.credentials, keyRequiredAtDefault: 'no key for api.openai.com (set api_key or OPENAI_API_KEY)' },
  capabilities: {},
  models: OPENAI_MODELS,
  ui: { label: 'OpenAI or OpenAI-compatible', apiBaseHint: `${OPENAI_BASE} (or OPENAI_API_BASE); any OpenAI-compatible server: http://host:8000/v1` },
};
