import { type ChatCompletionChunk, type ChatStreamEvent, type CompletionUsage, SwitchyardError } from '@app/contracts';
import { errorBody } from '../http/render-error';
import type { SseFrame } from '../calls/sse-response';

export interface ChatFramesOptions {
  /** The name the client asked for; every chunk carries it as `model`. */
  model: string;
  includeUsage: boolean;
  requestId: string;
}

/** What {@link openAIFrames} reads and writes of a chunk of any OpenAI stream. */
export interface OpenAIStreamChunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: unknown[];
  usage?: CompletionUsage | null;
}

/** One kind of OpenAI stream: its chunks' `object`, and what its first chunk gets that the others do not. */
export interface ChunkKind<T extends OpenAIStreamChunk> {
  object: T['object'];
  first?(chunk: T): T;
}

/** Chat's chunks: the first says the assistant speaks. */
const CHAT_CHUNKS: ChunkKind<ChatCompletionChunk> = {
  object: 'chat.completion.chunk',
  first(chunk) {
    const [choice, ...rest] = chunk.choices;
    if (!choice || choice.delta.role) return chunk;
    return { ...chunk, choices: [{ ...choice, delta: { role: 'assistant', ...choice.delta } }, ...rest] };
  },
};

/**
 * A chat stream as OpenAI sends it: `data: {chunk}` lines with the first chunk's id and created
 * and the client's model name, a usage chunk when asked for, then `data: [DONE]`. An error after
 * the first chunk is sent as `data: {"error": …}` and the stream ends without `[DONE]`.
 */
export function chatFrames(events: AsyncIterable<ChatStreamEvent>, options: ChatFramesOptions): AsyncGenerator<SseFrame> {
  return openAIFrames(events, options, CHAT_CHUNKS);
}

/** {@link chatFrames} for any OpenAI stream of `kind` (chat's, the legacy completions'). */
export async function* openAIFrames<T extends OpenAIStreamChunk>(
  events: AsyncIterable<ChatStreamEvent<T>>,
  options: ChatFramesOptions,
  kind: ChunkKind<T>,
): AsyncGenerator<SseFrame> {
  const shape = chunkShaper(options, kind);
  for await (const event of events) {
    if (event.t === 'chunk') {
      yield frame(shape.chunk(event.chunk));
    } else if (event.t === 'end') {
      if (options.includeUsage) yield frame(shape.usage(event.usage));
      yield { data: '[DONE]' };
      return;
    } else {
      yield frame({ error: errorBody(SwitchyardError.fromWire(event.error), options.requestId).error });
      return;
    }
  }
}

const frame = (data: unknown): SseFrame => ({ data: JSON.stringify(data) });

/** Gives every chunk the first chunk's id and created, the client's model name, and the usage field the client asked for. */
function chunkShaper<T extends OpenAIStreamChunk>(options: ChatFramesOptions, kind: ChunkKind<T>) {
  let head: { id: string; created: number } | undefined;
  return {
    chunk(chunk: T): T {
      const first = !head;
      head ??= { id: chunk.id, created: chunk.created };
      const { usage: _usage, ...rest } = chunk;
      const shaped = { ...rest, id: head.id, created: head.created, model: options.model } as T;
      if (options.includeUsage) shaped.usage = null;
      return first && kind.first ? kind.first(shaped) : shaped;
    },
    usage(usage: CompletionUsage | null): T {
      return {
        id: head?.id ?? '',
        object: kind.object,
        created: head?.created ?? Math.floor(Date.now() / 1000),
        model: options.model,
        choices: [],
        usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      } as unknown as T;
    },
  };
}
