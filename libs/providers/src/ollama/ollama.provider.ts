import { STANDARD_UPSTREAM } from '../upstream-target';
import { NO_KNOWN_MODELS } from '../known-models';
import type { ProviderDescriptor } from '../provider-descriptor';
import { OllamaChatAdapter } from './ollama-chat.adapter';
import { OllamaEmbedAdapter } from './ollama-embed.adapter';
import { OllamaGenerateAdapter } from './ollama-generate.adapter';
import { OLLAMA_CAPABILITIES } from './ollama-capabilities';
import { refineOllamaError } from './ollama-errors';
import { warmUpOllama } from './ollama-warm-up';
import { isRecord } from '../is-record';

/** The model names of an `/api/tags` answer (`{models: [{name: "llama3:latest"}, …]}`). */
export function ollamaTagNames(body: unknown): string[] {
  const models = isRecord(body) && Array.isArray(body.models) ? body.models : [];
  return models.flatMap((m: unknown) => (isRecord(m) && typeof m.name === 'string' && m.name ? [m.name] : []));
}

const OLLAMA_BASE = 'http://localhost:11434';

/** Ollama's native API (`ollama/llama3.2`, `ollama_chat/llama3.2`): the Ollama wire. */
export const OLLAMA_PROVIDER: ProviderDescriptor = {
  name: 'ollama',
  prefixes: ['ollama', 'ollama_chat'],
  wire: 'ollama',
  backend: 'ollama',
  needsApiBase: false,
  defaultApiBase: () => OLLAMA_BASE,
  upstream: STANDARD_UPSTREAM,
  refineError: refineOllamaError,
  warmUp: warmUpOllama,
  credentials: {},
  operations: {
    chat: (http, provider) => new OllamaChatAdapter(http, provider),
    completions: (http, provider) => new OllamaGenerateAdapter(http, provider),
    embeddings: (http, provider) => new OllamaEmbedAdapter(http, provider),
  },
  capabilities: OLLAMA_CAPABILITIES,
  models: NO_KNOWN_MODELS,
  modelList: { path: '/api/tags', names: ollamaTagNames },
  ui: { label: 'Ollama', apiBaseHint: `${OLLAMA_BASE} by default; from Docker: http://host.docker.internal:11434` },
};
