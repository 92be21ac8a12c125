import type { ProviderCapabilities } from '../capabilities';

/** Ollama's /api/chat generates one answer per call. */
export const OLLAMA_CAPABILITIES: ProviderCapabilities = { maxChoices: 1 };
