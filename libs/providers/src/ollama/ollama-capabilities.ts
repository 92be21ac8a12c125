import type { ProviderCapabilities } from '../capabilities';

/**
 * Ollama's /api/chat and /api/generate generate one answer per call, and its /api/embed takes text only; /api/generate takes one text
 * prompt, echoes nothing back, and has no `best_of` nor legacy logprobs. `supportedParams` are the
 * OpenAI chat parameters its chat mapper carries over.
 */
export const OLLAMA_CAPABILITIES: ProviderCapabilities = {
  maxChoices: 1,
  tokenInput: false,
  completions: { singleTextPrompt: true, unsupported: ['echo', 'logprobs', 'best_of'] },
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
