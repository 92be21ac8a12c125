import type { ProviderCapabilities } from '../capabilities';

/**
 * Ollama's /api/chat and /api/generate generate one answer per call; /api/generate takes one text
 * prompt, echoes nothing back, and has no `best_of` nor legacy logprobs.
 */
export const OLLAMA_CAPABILITIES: ProviderCapabilities = {
  maxChoices: 1,
  completions: { singleTextPrompt: true, unsupported: ['echo', 'logprobs', 'best_of'] },
};
