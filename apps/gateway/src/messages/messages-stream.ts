import { type ChatCompletionChunk, type ChatStreamEvent, type CompletionUsage, SwitchyardError } from '@app/contracts';
import type { SseFrame } from '../calls/sse-response';
import { type AnswerContext, type StopReason, messageId, stopOf, toAnthropicUsage } from './messages-answer.mapper';
import { messagesErrorAnswer } from './messages-errors';

export interface MessagesStreamContext extends AnswerContext {
  requestId: string;
  /** The prompt's estimated tokens: `message_start` must say something before the backend has counted. */
  estimatedInputTokens: number;
}

/** Anthropic's keep-alive: an event of its own, which its SDKs skip. */
export const PING_FRAME: SseFrame = frame('ping', { type: 'ping' });

function frame(event: string, data: object): SseFrame {
  return { event, data: JSON.stringify(data) };
}

/**
 * A chat stream as Anthropic's events: `message_start` (the estimated input tokens) and a `ping`;
 * for each run of text a `text` block and for each tool call a `tool_use` block, each opened by
 * `content_block_start`, filled by `content_block_delta`s (`text_delta`, `input_json_delta`) and
 * closed by `content_block_stop`; then `message_delta` with the stop reason and the backend's
 * usage (input tokens included, replacing the estimate), and `message_stop`. A failure after the
 * stream began is Anthropic's `error` event, and the stream ends there.
 */
export async function* messagesFrames(events: AsyncIterable<ChatStreamEvent>, context: MessagesStreamContext): AsyncGenerator<SseFrame> {
  const blocks = new BlockWriter();
  let finishChoice: ChatCompletionChunk['choices'][number] | undefined;
  yield frame('message_start', {
    type: 'message_start',
    message: {
      id: messageId(),
      type: 'message',
      role: 'assistant',
      content: [],
      model: context.model,
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: context.estimatedInputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  yield PING_FRAME;
  for await (const event of events) {
    if (event.t === 'chunk') {
      for (const choice of event.chunk.choices.filter((c) => c.index === 0)) {
        yield* blocks.write(choice.delta);
        if (choice.finish_reason) finishChoice = choice;
      }
    } else if (event.t === 'end') {
      yield* blocks.closeOpen();
      const stop = stopOf(finishChoice ?? {}, context.stopSequences, blocks.calledTools);
      yield messageDelta(stop.reason, stop.sequence, event.usage);
      yield frame('message_stop', { type: 'message_stop' });
      return;
    } else {
      const { body } = messagesErrorAnswer(SwitchyardError.fromWire(event.error), context.requestId);
      yield frame('error', body);
      return;
    }
  }
}

function messageDelta(reason: StopReason, sequence: string | null, usage: CompletionUsage | null): SseFrame {
  return frame('message_delta', { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: sequence }, usage: toAnthropicUsage(usage) });
}

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Turns chat deltas into Anthropic's content blocks, one open at a time as Anthropic sends them:
 * text continues the open text block or opens one; a tool call with an id opens a `tool_use`
 * block; argument fragments go to their call's block.
 */
class BlockWriter {
  private open: { index: number; kind: 'text' | 'tool' } | undefined;
  private next = 0;
  /** Block index of each chat tool call, by its index in the chat stream. */
  private readonly toolBlocks = new Map<number, number>();

  get calledTools(): boolean {
    return this.toolBlocks.size > 0;
  }

  *write(delta: Delta): Generator<SseFrame> {
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.open?.kind !== 'text') yield* this.start('text', { type: 'text', text: '' });
      yield this.delta({ type: 'text_delta', text: delta.content });
    }
    for (const call of delta.tool_calls ?? []) {
      let index = this.toolBlocks.get(call.index);
      if (index === undefined) {
        const id = call.id ?? `toolu_${messageId().slice('msg_'.length)}`;
        yield* this.start('tool', { type: 'tool_use', id, name: call.function?.name ?? '', input: {} });
        index = this.open!.index;
        this.toolBlocks.set(call.index, index);
      }
      const json = call.function?.arguments;
      if (json) yield frame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } });
    }
  }

  *closeOpen(): Generator<SseFrame> {
    if (this.open) yield frame('content_block_stop', { type: 'content_block_stop', index: this.open.index });
    this.open = undefined;
  }

  private *start(kind: 'text' | 'tool', block: object): Generator<SseFrame> {
    yield* this.closeOpen();
    this.open = { index: this.next++, kind };
    yield frame('content_block_start', { type: 'content_block_start', index: this.open.index, content_block: block });
  }

  private delta(delta: object): SseFrame {
    return frame('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta });
  }
}
