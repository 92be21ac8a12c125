import type { InputItem, InputPart } from './responses-input.schema';
import type { NewId, OutputItem } from './response-object';

/** A message of a conversation: its content always a list of parts. */
export interface ConversationMessage {
  id: string;
  type: 'message';
  role: 'user' | 'system' | 'developer' | 'assistant';
  status: string;
  content: InputPart[];
  [field: string]: unknown;
}

/**
 * An item of a conversation as it is kept and listed (`/input_items`): the client's input items
 * with an id and a status each and message content as a list of parts, and the output items of
 * earlier responses, which have that shape already.
 */
export type ConversationItem = ConversationMessage | (Exclude<InputItem, { type: 'message' }> & { id: string }) | OutputItem;

/** A request's `input` as conversation items: a string is one user message. */
export function conversationItems(input: string | InputItem[] | undefined, newId: NewId): ConversationItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string')
    return [{ id: newId('msg'), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] }];
  return input.map((item) => withId(item, newId));
}

function withId(item: InputItem, newId: NewId): ConversationItem {
  switch (item.type) {
    case 'message': {
      const content =
        typeof item.content !== 'string'
          ? item.content
          : item.role === 'assistant'
            ? [{ type: 'output_text' as const, text: item.content, annotations: [], logprobs: [] }]
            : [{ type: 'input_text' as const, text: item.content }];
      return { ...item, id: item.id ?? newId('msg'), status: item.status ?? 'completed', content };
    }
    case 'function_call':
      return { ...item, id: item.id ?? newId('fc'), status: item.status ?? 'completed' };
    case 'function_call_output':
      return { ...item, id: item.id ?? newId('fco'), status: item.status ?? 'completed' };
    case 'reasoning':
      return { summary: [], ...item, id: item.id ?? newId('rs') };
  }
}

/** `output_text`: the text of every `output_text` part of the output's messages, in order. */
export function outputTextOf(output: readonly OutputItem[]): string {
  return output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}
