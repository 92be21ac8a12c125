import type { ChatCompletionChunk, CompletionUsage } from '@app/contracts';
import { type ResponseEnding, type ResponseSeed, endingOf, responseObject, responseUsage } from './responses-answer.mapper';
import type { FunctionCall, ItemStatus, NewId, OutputItem, OutputMessage, ResponseError, ResponseObject } from './response-object';

/** One event of a streamed Response, before it is given its `sequence_number`. */
export type ResponseEvent = { type: string } & Record<string, unknown>;

interface OpenText {
  index: number;
  item: OutputMessage;
  text: string;
}

interface OpenCall {
  index: number;
  item: FunctionCall;
}

/**
 * Turns a chat stream's chunks into the Responses API's stream events, in OpenAI's order: the
 * Response created and in progress; for text, a `message` item, its `output_text` part, the
 * deltas, then the text, the part and the item done; for each tool call, a `function_call` item,
 * its argument deltas, then the arguments and the item done; finally the Response as it ended.
 * A message ends when a tool call begins; every item still open ends with the stream.
 */
export class ResponseStreamBuilder {
  private readonly output: OutputItem[] = [];
  private text?: OpenText;
  /** Open function calls by the chat chunk's tool call index. */
  private readonly calls = new Map<number, OpenCall>();
  private finishReason: string | null = null;

  constructor(
    private readonly seed: ResponseSeed,
    private readonly newId: NewId,
  ) {}

  /** `response.created` and `response.in_progress`, with the Response as it begins. */
  start(): ResponseEvent[] {
    const response = responseObject(this.seed, { status: 'in_progress', output: [], usage: null });
    return [
      { type: 'response.created', response },
      { type: 'response.in_progress', response },
    ];
  }

  chunk(chunk: ChatCompletionChunk): ResponseEvent[] {
    const choice = chunk.choices[0];
    if (!choice) return [];
    const events: ResponseEvent[] = [];
    const { content, tool_calls: toolCalls } = choice.delta;
    if (typeof content === 'string' && content !== '') events.push(...this.textDelta(content));
    for (const delta of toolCalls ?? []) {
      let call = this.calls.get(delta.index);
      if (!call) {
        events.push(...this.closeText('completed'));
        call = this.openCall(delta.id, delta.function?.name);
        this.calls.set(delta.index, call);
        events.push({ type: 'response.output_item.added', output_index: call.index, item: { ...call.item } });
      }
      const args = delta.function?.arguments;
      if (args) {
        call.item.arguments += args;
        events.push({ type: 'response.function_call_arguments.delta', item_id: call.item.id, output_index: call.index, delta: args });
      }
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return events;
  }

  /** The stream ended with its usage: every open item done, and the Response as it ended (for the caller to keep, then send). */
  end(usage: CompletionUsage | null): { events: ResponseEvent[]; response: ResponseObject } {
    const { status, incomplete } = endingOf(this.finishReason);
    const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
    const events: ResponseEvent[] = [];
    // An answer with neither text nor tool calls is an empty message, as it is unstreamed.
    if (this.output.length === 0) events.push(...this.textDelta(''));
    events.push(...this.closeText(itemStatus), ...this.closeCalls(itemStatus));
    return { events, response: this.response({ status, incomplete, output: this.output, usage: responseUsage(usage) }) };
  }

  /**
   * The stream broke off: the Response failed, with what it had generated so far (open items
   * incomplete). A failed Response is not kept, and says so.
   */
  fail(error: ResponseError, usage: CompletionUsage | null | undefined): ResponseObject {
    const output = this.output.map((item) => (this.isOpen(item) ? { ...item, status: 'incomplete' as const } : item));
    if (this.text) this.setText(output, this.text);
    return this.response({ status: 'failed', error, output, usage: responseUsage(usage) }, false);
  }

  private response(ending: ResponseEnding, store = this.seed.store): ResponseObject {
    return responseObject({ ...this.seed, store }, { ...ending, output: ending.output.map((item) => structuredClone(item)) });
  }

  private textDelta(delta: string): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (!this.text) {
      const item: OutputMessage = { id: this.newId('msg'), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
      this.text = { index: this.output.push(item) - 1, item, text: '' };
      events.push(
        { type: 'response.output_item.added', output_index: this.text.index, item: structuredClone(item) },
        { type: 'response.content_part.added', ...this.partRef(this.text), part: textPart('') },
      );
    }
    if (delta === '') return events;
    this.text.text += delta;
    events.push({ type: 'response.output_text.delta', ...this.partRef(this.text), delta, logprobs: [] });
    return events;
  }

  private closeText(status: ItemStatus): ResponseEvent[] {
    const open = this.text;
    if (!open) return [];
    this.text = undefined;
    const part = textPart(open.text);
    open.item.content = [part];
    open.item.status = status;
    return [
      { type: 'response.output_text.done', ...this.partRef(open), text: open.text, logprobs: [] },
      { type: 'response.content_part.done', ...this.partRef(open), part },
      { type: 'response.output_item.done', output_index: open.index, item: structuredClone(open.item) },
    ];
  }

  private openCall(callId: string | undefined, name: string | undefined): OpenCall {
    const item: FunctionCall = {
      id: this.newId('fc'),
      type: 'function_call',
      status: 'in_progress',
      // A backend that names no call id still gets one: clients answer a call by it.
      call_id: callId ?? this.newId('call'),
      name: name ?? '',
      arguments: '',
    };
    return { index: this.output.push(item) - 1, item };
  }

  private closeCalls(status: ItemStatus): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    for (const { index, item } of [...this.calls.values()].sort((a, b) => a.index - b.index)) {
      item.status = status;
      events.push(
        { type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: item.name, arguments: item.arguments },
        { type: 'response.output_item.done', output_index: index, item: structuredClone(item) },
      );
    }
    this.calls.clear();
    return events;
  }

  private isOpen(item: OutputItem): boolean {
    return item === this.text?.item || [...this.calls.values()].some((call) => call.item === item);
  }

  /** The open message's text so far, in a failed Response's copy of the output. */
  private setText(output: OutputItem[], open: OpenText): void {
    output[open.index] = { ...open.item, status: 'incomplete', content: [textPart(open.text)] };
  }

  private partRef(open: OpenText) {
    return { item_id: open.item.id, output_index: open.index, content_index: 0 };
  }
}

function textPart(text: string) {
  return { type: 'output_text' as const, text, annotations: [], logprobs: [] };
}
