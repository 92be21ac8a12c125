import { type ChatCompletionChunk, type ChatStreamEvent, SwitchyardError } from '@app/contracts';
import { errorBody } from '../http/render-error';
import type { SseFrame } from '../calls/sse-response';

export interface ChatFramesOptions {
  /** The name the client asked for; every chunk carries it as `model`. */
  model: string;
  includeUsage: boolean;
  requestId: string;
}

/**
 * A chat stream as OpenAI sends it: `data: {chunk}` lines with the first chunk's id and created
 * and the client's model name, a usage chunk when asked for, then `data: [DONE]`. An error after
 * the first chunk is sent as `data: {"error": …}` and the stream ends without `[DONE]`.
 */
export async function* chatFrames(events: AsyncIterable<ChatStreamEvent>, options: ChatFramesOptions): AsyncGenerator<SseFrame> {
  const shape = chunkShaper(options);
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
function chunkShaper(options: ChatFramesOptions) {
  let head: { id: string; created: number } | undefined;
  return {
    chunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
      const first = !head;
      head ??= { id: chunk.id, created: chunk.created };
      const { usage: _usage, ...rest } = chunk;
      const shaped: ChatCompletionChunk = { ...rest, id: head.id, created: head.created, model: options.model };
      if (options.includeUsage) shaped.usage = null;
      if (first && shaped.choices[0] && !shaped.choices[0].delta.role) {
        shaped.choices = [{ ...shaped.choices[0], delta: { role: 'assistant', ...shaped.choices[0].delta } }, ...shaped.choices.slice(1)];
      }
      return shaped;
    },
    usage(usage: ChatCompletionChunk['usage']): ChatCompletionChunk {
      return {
        id: head?.id ?? '',
        object: 'chat.completion.chunk',
        created: head?.created ?? Math.floor(Date.now() / 1000),
        model: options.model,
        choices: [],
        usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      };
    },
  };
}
