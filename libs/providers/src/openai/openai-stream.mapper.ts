import type { ChatCompletionChunk, CompletionUsage } from '@app/contracts';
import { isRecord } from '../is-record';
import { incompleteStreamError, malformedAnswerError, mapUpstreamStreamError } from '../http/upstream-error.mapper';

/** Reads server-sent events line by line; I/O-free. */
export interface SseDecoder {
  /** One line without its line break; the `data` of each event the line completes (a blank line ends an event). */
  push(line: string): string[];
  /** The body ended: the `data` of an event left without its closing blank line. */
  end(): string[];
}

/**
 * The `data` of each event, as the SSE standard reads it: several `data:` lines of one event
 * join with "\n"; one space after the colon is dropped; `event:`, `id:`, `retry:`, comments
 * (`:`) and events without data are ignored.
 */
export function createSseDecoder(): SseDecoder {
  let data: string[] = [];
  const dispatch = (): string[] => {
    if (data.length === 0) return [];
    const event = data.join('\n');
    data = [];
    return [event];
  };
  return {
    push(line) {
      if (line === '') return dispatch();
      if (line.startsWith(':')) return [];
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      if (field !== 'data') return [];
      const value = colon === -1 ? '' : line.slice(colon + 1);
      data.push(value.startsWith(' ') ? value.slice(1) : value);
      return [];
    },
    end: dispatch,
  };
}

/** Turns the events of an OpenAI chat stream (or of another operation's, `T` its chunk) into the chunks an adapter yields; I/O-free. */
export interface OpenAIStreamMapper<T extends StreamedChunk = ChatCompletionChunk> {
  /**
   * One event's `data`; the chunks to pass on now. Throws `SwitchyardError` for an error
   * object or data that is not a chunk.
   */
  push(data: string): T[];
  /** The body ended: the usage chunk still held back, if any. Throws when the answer was cut short. */
  end(): T[];
  /** `[DONE]` was seen; anything after it is ignored. */
  readonly done: boolean;
}

/** What the mapper reads of a chunk of any OpenAI stream: its choices' finish reasons and its usage. */
export interface StreamedChunk {
  choices: Array<{ finish_reason: string | null }>;
  usage?: CompletionUsage | null;
}

export interface OpenAIStreamMapperOptions<T extends StreamedChunk = ChatCompletionChunk> {
  /** Names the upstream in messages; `openai` unless an OpenAI-compatible provider says otherwise. */
  provider?: string;
  /** The deployment's credentials, redacted from upstream error messages. */
  secrets?: readonly string[];
  /** Reads one chunk, its missing fields filled in; undefined when it is none. Default: a chat completion chunk. */
  parse?: (body: unknown) => T | undefined;
  /** What a chunk is, for messages: `a chat completion chunk` by default. */
  chunkName?: string;
}

/**
 * Passes chunks on in upstream order, normalised by {@link fromOpenAIChatChunk}, and holds the
 * usage back so it leaves last, as a chunk of its own (`choices: []`), at `[DONE]` or the end
 * of the body: no other chunk carries usage, also when a server attaches it to a choice chunk.
 * Choice-less chunks without usage are dropped. A body that ends with neither `[DONE]` nor a
 * finish reason was cut short.
 */
export function createOpenAIStreamMapper<T extends StreamedChunk = ChatCompletionChunk>(options: OpenAIStreamMapperOptions<T> = {}): OpenAIStreamMapper<T> {
  const provider = options.provider ?? 'openai';
  const parse = options.parse ?? (fromOpenAIChatChunk as unknown as (body: unknown) => T | undefined);
  const chunkName = options.chunkName ?? 'a chat completion chunk';
  let done = false;
  let finished = false;
  let usageChunk: T | undefined;
  const flush = (): T[] => {
    const held = usageChunk;
    usageChunk = undefined;
    return held ? [held] : [];
  };
  return {
    get done() {
      return done;
    },
    push(data) {
      if (done) return [];
      if (data.startsWith('[DONE]')) {
        done = true;
        return flush();
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        throw malformedAnswerError(provider, chunkName);
      }
      if (isRecord(parsed) && parsed.error !== undefined && parsed.error !== null) {
        throw mapUpstreamStreamError(provider, parsed, options.secrets);
      }
      const chunk = parse(parsed);
      if (!chunk) throw malformedAnswerError(provider, chunkName);
      const { usage, ...fields } = chunk;
      const rest = fields as T;
      if (usage) usageChunk = { ...rest, choices: [], usage };
      if (rest.choices.length === 0) return [];
      if (rest.choices.some((choice) => choice.finish_reason !== null)) finished = true;
      return [rest];
    },
    end() {
      if (done) return [];
      if (!finished) throw incompleteStreamError(provider);
      done = true;
      return flush();
    },
  };
}

/**
 * An upstream chunk with the fields some OpenAI-compatible servers omit filled in (`delta`,
 * `logprobs` and `finish_reason` of each choice) and a `usage` that is not an object removed;
 * `undefined` when it is not a chunk.
 */
export function fromOpenAIChatChunk(body: unknown): ChatCompletionChunk | undefined {
  if (!isRecord(body) || !Array.isArray(body.choices)) return undefined;
  const choices: unknown[] = body.choices;
  if (!choices.every(isRecord)) return undefined;
  const { usage, ...rest } = body;
  const chunk = {
    ...rest,
    object: 'chat.completion.chunk',
    choices: choices.map((choice: Record<string, unknown>, k) => ({
      ...choice,
      index: typeof choice.index === 'number' ? choice.index : k,
      delta: isRecord(choice.delta) ? choice.delta : {},
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finish_reason ?? null,
    })),
  } as ChatCompletionChunk;
  if (isRecord(usage)) chunk.usage = usage as ChatCompletionChunk['usage'];
  return chunk;
}
