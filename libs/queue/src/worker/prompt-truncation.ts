import type { CompletionUsage } from '@app/contracts';

/** Below this many estimated prompt tokens the estimate is too rough to judge by. */
export const TRUNCATION_MIN_PROMPT_TOKENS = 1_000;
/** The upstream counted less than this share of the estimate: it did not read the whole prompt. */
export const TRUNCATION_RATIO = 0.5;

/**
 * The prompt tokens the upstream says it read, when far below what the prompt holds: a server that
 * cut the prompt to its context window without saying so (Ollama keeps the end of a prompt longer
 * than `num_ctx`). `estimated`: the prompt's tokens as the worker estimated them. Undefined when the call looks whole, or the upstream reported nothing.
 */
export function truncatedPrompt(estimated: number, usage: CompletionUsage | null | undefined): { estimated: number; read: number } | undefined {
  const read = usage?.prompt_tokens;
  if (typeof read !== 'number' || read <= 0) return undefined;
  if (estimated < TRUNCATION_MIN_PROMPT_TOKENS || read >= estimated * TRUNCATION_RATIO) return undefined;
  return { estimated, read };
}
