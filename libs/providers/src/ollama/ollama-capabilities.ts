import type { ProviderCapabilities } from '../capabilities';

/** Ollama's /api/chat generates one answer per call; its /api/embed takes text only. */
export const OLLAMA_CAPABILITIES: ProviderCapabilities = { maxChoices: 1, tokenInput: false };
