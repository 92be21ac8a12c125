import type { ProviderCapabilities } from '../capabilities';

/** Ollama's /api/chat generates one answer per call; these are the OpenAI parameters its mapper carries over. */
export const OLLAMA_CAPABILITIES: ProviderCapabilities = {
  maxChoices: 1,
  supportedParams: [
    'frequency_penalty',
    'max_tokens',
    'max_completion_tokens',
    'n',
    'presence_penalty',
    'response_format',
    'seed',
    'stop',
    'stream',
    'stream_options',
    'temperature',
    'top_p',
    'tools',
    'tool_choice',
  ],
  parallelToolCalls: false,
};
