import type { CompletionUsage } from './openai-wire';

/**
 * The subset of OpenAI's legacy completions wire format (`POST /v1/completions`) that Switchyard
 * reads or writes. Unknown fields pass through.
 */

/** A prompt as OpenAI takes one: text, several texts, tokens, or several lists of tokens. */
export type CompletionPrompt = string | string[] | number[] | number[][];

export interface CompletionRequest {
  model: string;
  prompt: CompletionPrompt;
  /** Text after the completion: fill-in-the-middle. */
  suffix?: string | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  best_of?: number | null;
  echo?: boolean | null;
  logprobs?: number | null;
  seed?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  [field: string]: unknown;
}

export interface TextCompletionChoice {
  text: string;
  index: number;
  logprobs: unknown;
  /** `stop`, `length` or `content_filter`; null on a streamed chunk before the choice's last. */
  finish_reason: string | null;
  [field: string]: unknown;
}

/**
 * An answer (`object: "text_completion"`), and equally one chunk of a streamed answer, which
 * OpenAI sends in the same shape; the last chunk of a stream may carry only `usage` (`choices: []`).
 */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}
