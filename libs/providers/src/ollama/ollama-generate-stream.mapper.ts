import type { TextCompletion, TextCompletionChoice } from '@app/contracts';
import { isRecord } from '../is-record';
import { incompleteStreamError, malformedAnswerError, mapUpstreamStreamError } from '../http/upstream-error.mapper';
import { generateFinishReason, isOllamaGenerateResponse, generateUsage } from './ollama-generate.mapper';

/** Turns the lines of an Ollama `/api/generate` NDJSON stream into text completion chunks; stateful but I/O-free. */
export interface OllamaGenerateStreamMapper {
  /** One parsed NDJSON line; the chunks it makes. Throws `SwitchyardError` for an `{"error":...}` line or one that is not a generate line. */
  push(part: unknown): TextCompletion[];
  /** The body ended; throws when it ended before the final (`done: true`) line. */
  end(): TextCompletion[];
  /** The final line was seen. */
  readonly done: boolean;
}

export interface OllamaGenerateStreamMapperOptions {
  /** The `cmpl-…` id every chunk carries. */
  id: string;
  /** Epoch seconds, the same on every chunk. */
  created: number;
  /** The deployment's credentials, redacted from upstream error messages. */
  secrets?: readonly string[];
  /** Names the upstream in messages; `ollama` unless said otherwise. */
  provider?: string;
}

/**
 * The chunks, in order: one per line with text (lines of only `thinking` make none), then, at
 * the final line, one with its text (maybe "") and the only non-null `finish_reason`, then the
 * usage chunk (`choices: []`).
 */
export function createOllamaGenerateStreamMapper(options: OllamaGenerateStreamMapperOptions): OllamaGenerateStreamMapper {
  const { id, created } = options;
  const provider = options.provider ?? 'ollama';
  let done = false;
  return {
    get done() {
      return done;
    },
    push(part) {
      if (done) return [];
      if (isRecord(part) && part.error !== undefined && part.error !== null) throw mapUpstreamStreamError(provider, part, options.secrets);
      if (!isOllamaGenerateResponse(part)) throw malformedAnswerError(provider, 'an Ollama generate stream line');
      const chunk = (choices: TextCompletionChoice[], usage?: TextCompletion['usage']): TextCompletion => ({
        id,
        object: 'text_completion',
        created,
        model: part.model,
        choices,
        ...(usage ? { usage } : {}),
      });
      const text = (value: string, finishReason: string | null = null) => chunk([{ text: value, index: 0, logprobs: null, finish_reason: finishReason }]);
      if (part.done !== true) return part.response === '' ? [] : [text(part.response)];
      done = true;
      return [text(part.response, generateFinishReason(part)), chunk([], generateUsage(part))];
    },
    end() {
      if (!done) throw incompleteStreamError(provider);
      return [];
    },
  };
}
