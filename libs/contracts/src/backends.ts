/**
 * The HTTP dialect a worker app speaks: `openai` (worker-openai) or `ollama` (worker-ollama).
 * Several providers share one: hosted_vllm and lm_studio speak `openai`.
 */
export type Wire = 'openai' | 'ollama';
export const WIRES: readonly Wire[] = ['openai', 'ollama'];

/** What a call asks of its upstream. Providers list the ones they serve; a job names its own (chat when it names none). */
export type Operation = 'chat' | 'completions' | 'embeddings';

/**
 * A backend is an upstream with its own capacity, and one BullMQ queue. Its name is part of
 * Redis key names, so it stays within letters, digits, `_` and `-`.
 */
export const BACKEND_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const BACKEND_NAME_RULE = 'lower-case letters, digits, "_" and "-", starting with a letter or digit, at most 63';

/**
 * The queue of a backend: `chat-openai`, `chat-hosted_vllm`. This string is part of the Redis key
 * names (`<prefix>:<queue>:wait` and so on): renaming a backend strands the jobs already queued
 * under the old name and breaks autoscalers that watch the key.
 */
export function queueName(backend: string): string {
  return `chat-${backend}`;
}
