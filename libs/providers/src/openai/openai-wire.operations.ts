import type { ProviderDescriptor, ProviderOperations } from '../provider-descriptor';
import { STANDARD_UPSTREAM } from '../upstream-target';
import { OpenAIChatAdapter } from './openai-chat.adapter';
import { OpenAIEmbeddingsAdapter } from './openai-embeddings.adapter';
import { OpenAICompletionsAdapter } from './openai-completions.adapter';

/** The operations of the OpenAI wire: OpenAI's own, and those of every provider that speaks it. */
export const OPENAI_WIRE_OPERATIONS: ProviderOperations = {
  chat: (http, provider) => new OpenAIChatAdapter(http, provider),
  completions: (http, provider) => new OpenAICompletionsAdapter(http, provider),
  embeddings: (http, provider) => new OpenAIEmbeddingsAdapter(http, provider),
};

/** What every OpenAI-wire provider shares: its worker, its operations, how it is reached, its credentials. */
export const OPENAI_WIRE = {
  wire: 'openai',
  upstream: STANDARD_UPSTREAM,
  operations: OPENAI_WIRE_OPERATIONS,
  // As the OpenAI SDK sends `organization`; a deployment without `api_key` falls back to OPENAI_API_KEY.
  credentials: { apiKeyEnv: 'OPENAI_API_KEY', organizationHeader: 'openai-organization' },
} as const satisfies Partial<ProviderDescriptor>;
