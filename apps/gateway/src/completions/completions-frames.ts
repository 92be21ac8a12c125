import type { ChatStreamEvent, TextCompletion } from '@app/contracts';
import { type ChatFramesOptions, type ChunkKind, openAIFrames } from '../chat/chat-frames';
import type { SseFrame } from '../calls/sse-response';

const TEXT_CHUNKS: ChunkKind<TextCompletion> = { object: 'text_completion' };

/**
 * A legacy completions stream as OpenAI sends it: `text_completion` chunks with the first chunk's
 * id and created and the client's model, a usage chunk (`choices: []`) when
 * `stream_options.include_usage` asked for it, then `data: [DONE]`; an error after the first
 * chunk as `data: {"error": …}`, without `[DONE]`.
 */
export function completionFrames(events: AsyncIterable<ChatStreamEvent<TextCompletion>>, options: ChatFramesOptions): AsyncGenerator<SseFrame> {
  return openAIFrames(events, options, TEXT_CHUNKS);
}
