import type { ChatCompletionChunk, ChatCompletionChunkChoice } from '@app/contracts';
import { isRecord } from '../is-record';
import { incompleteStreamError, malformedAnswerError, mapUpstreamStreamError } from '../http/upstream-error.mapper';
import { isOllamaChatResponse, toOpenAIToolCall } from './ollama-chat.mapper';

/** Turns the lines of an Ollama `/api/chat` NDJSON stream into OpenAI chunks; stateful but I/O-free. */
export interface OllamaStreamMapper {
  /**
   * One parsed NDJSON line; the chunks it makes. Throws `SwitchyardError` for an `{"error":...}`
   * line or one that is not a chat line. Lines after the final one are ignored.
   */
  push(part: unknown): ChatCompletionChunk[];
  /** The body ended; throws when it ended before the final (`done: true`) line. */
  end(): ChatCompletionChunk[];
  /** The final line was seen. */
  readonly done: boolean;
}

export interface OllamaStreamMapperOptions {
  /** The `chatcmpl-…` id every chunk carries. */
  id: string;
  /** Epoch seconds, the same on every chunk. */
  created: number;
  /** The deployment's credentials, redacted from upstream error messages. */
  secrets?: readonly string[];
  /** Names the upstream in messages; `ollama` unless said otherwise. */
  provider?: string;
}

/**
 * The chunks, in order: the first carries `delta.role: 'assistant'`, `refusal: null` (as OpenAI's
 * first delta does) and the first line's content (maybe ""), then one per further piece of content; each tool call makes two, the first with
 * `index`, `id` (made up when Ollama sent none), `type` and `function.name` (arguments ""), the
 * next with the arguments JSON. The final line makes a chunk with an empty delta and the only
 * non-null `finish_reason` (`tool_calls` when a tool was called, else `length` or `stop`),
 * then the usage chunk (`choices: []`).
 */
export function createOllamaStreamMapper(options: OllamaStreamMapperOptions): OllamaStreamMapper {
  const { id, created } = options;
  const provider = options.provider ?? 'ollama';
  let started = false;
  let done = false;
  let toolCalls = 0;
  return {
    get done() {
      return done;
    },
    push(part) {
      if (done) return [];
      if (isRecord(part) && part.error !== undefined && part.error !== null) throw mapUpstreamStreamError(provider, part, options.secrets);
      if (!isOllamaChatResponse(part)) throw malformedAnswerError(provider, 'an Ollama chat stream line');

      const model = part.model;
      const chunk = (choices: ChatCompletionChunkChoice[], usage?: ChatCompletionChunk['usage']): ChatCompletionChunk => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices,
        ...(usage ? { usage } : {}),
      });
      const delta = (fields: ChatCompletionChunkChoice['delta'], finishReason: string | null = null) =>
        chunk([{ index: 0, delta: fields, logprobs: null, finish_reason: finishReason }]);

      const chunks: ChatCompletionChunk[] = [];
      const content = typeof part.message.content === 'string' ? part.message.content : '';
      if (!started) chunks.push(delta({ role: 'assistant', content, refusal: null }));
      else if (content !== '') chunks.push(delta({ content }));
      started = true;

      for (const call of part.message.tool_calls ?? []) {
        const index = toolCalls++;
        const { id: callId, function: fn } = toOpenAIToolCall(call);
        chunks.push(delta({ tool_calls: [{ index, id: callId, type: 'function', function: { name: fn.name, arguments: '' } }] }));
        chunks.push(delta({ tool_calls: [{ index, function: { arguments: fn.arguments } }] }));
      }

      if (part.done === true) {
        done = true;
        const finishReason = toolCalls > 0 ? 'tool_calls' : part.done_reason === 'length' ? 'length' : 'stop';
        const promptTokens = countOf(part.prompt_eval_count);
        const completionTokens = countOf(part.eval_count);
        chunks.push(delta({}, finishReason));
        chunks.push(chunk([], { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }));
      }
      return chunks;
    },
    end() {
      if (!done) throw incompleteStreamError(provider);
      return [];
    },
  };
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
