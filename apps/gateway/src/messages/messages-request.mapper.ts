import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatMessage, ContentPart, ToolCall } from '@app/contracts';
import type { CountTokensRequest, MessageParam, MessagesRequest } from './messages-request.schema';

type Block = Exclude<MessageParam['content'], string>[number];
type ToolResultContent = Extract<Block, { type: 'tool_result' }>['content'];

/**
 * An Anthropic Messages body as the chat request every backend serves:
 * - `system` becomes the first message (text blocks joined by a blank line);
 * - a user turn's `tool_result` blocks become `tool` messages (first, as chat wants them right after
 *   the assistant's tool calls), its text and images one user message after them; an image a tool
 *   returned goes into that user message too, since a chat tool message holds only text;
 *   `is_error` results are marked with an "Error: " prefix, the chat wire having no flag for it;
 * - an assistant turn's text becomes its content, its `tool_use` blocks its `tool_calls` (input as
 *   JSON arguments); `thinking` blocks are dropped: the chat wire takes no reasoning back;
 * - `max_tokens` → `max_completion_tokens` (what every OpenAI model takes, reasoning ones included),
 *   `stop_sequences` → `stop`, `metadata.user_id` → `user` (see {@link endUserOf}), `top_k` kept (the call's operation
 *   passes it only to backends that have it), `tool_choice` → chat's (`any` is `required`,
 *   `disable_parallel_tool_use` is `parallel_tool_calls: false`);
 * - `thinking` is not sent on: a backend's model may or may not reason, and OpenAI refuses
 *   `reasoning_effort` for one that does not.
 */
export function toChatRequest(request: MessagesRequest): ChatCompletionRequest {
  const chat: ChatCompletionRequest = { ...promptOf(request), max_completion_tokens: request.max_tokens };
  if (request.stop_sequences?.length) chat.stop = request.stop_sequences;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  if (request.top_k !== undefined) chat.top_k = request.top_k;
  if (typeof request.metadata?.user_id === 'string') chat.user = endUserOf(request.metadata.user_id);
  if (request.stream === true) chat.stream = true;
  return chat;
}

/** Longest end-user id passed on as it is: OpenAI's limit for its end-user identifiers. */
const MAX_END_USER_ID = 64;

/**
 * `metadata.user_id` as chat's `user`: as it is when short enough, else its SHA-256 (64 hex
 * digits), which stays opaque and stable (Claude Code sends ids longer than OpenAI takes).
 */
export function endUserOf(userId: string): string {
  return userId.length <= MAX_END_USER_ID ? userId : createHash('sha256').update(userId).digest('hex');
}

/** The prompt alone (messages, tools, tool choice): what `count_tokens` estimates. */
export function promptOf(request: CountTokensRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = textOf(request.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const message of request.messages) messages.push(...toChatMessages(message));
  const chat: ChatCompletionRequest = { model: request.model, messages };
  if (request.tools?.length) {
    chat.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.input_schema },
    }));
    Object.assign(chat, toolChoiceOf(request.tool_choice));
  }
  return chat;
}

function toChatMessages(message: MessageParam): ChatMessage[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  if (message.role === 'system') return [{ role: 'system', content: textOf(message.content) }];
  return message.role === 'assistant' ? [assistantMessage(message.content)] : userMessages(message.content);
}

function assistantMessage(blocks: readonly Block[]): ChatMessage {
  const text = blocks.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  const toolCalls: ToolCall[] = blocks.flatMap((block) =>
    block.type === 'tool_use' ? [{ id: block.id, type: 'function' as const, function: { name: block.name, arguments: JSON.stringify(block.input) } }] : [],
  );
  if (toolCalls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text || null, tool_calls: toolCalls };
}

function userMessages(blocks: readonly Block[]): ChatMessage[] {
  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of blocks) {
    if (block.type === 'text') parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image') parts.push(imagePart(block.source));
    else if (block.type === 'tool_result') {
      const { text, images } = toolResultOf(block.content);
      toolMessages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error ? `Error: ${text}` : text });
      parts.push(...images);
    }
  }
  if (parts.length === 0) return toolMessages;
  // A plain text turn stays a string: every OpenAI-compatible server takes that.
  const user: ChatMessage = parts.every((part) => part.type === 'text')
    ? { role: 'user', content: parts.map((part) => (part as { text: string }).text).join('\n') }
    : { role: 'user', content: parts };
  return [...toolMessages, user];
}

function toolResultOf(content: ToolResultContent): { text: string; images: ContentPart[] } {
  if (content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: ContentPart[] = [];
  for (const block of content) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'image') images.push(imagePart(block.source));
  }
  return { text: texts.join('\n'), images };
}

function imagePart(source: { type: string; [field: string]: unknown }): ContentPart {
  const url = source.type === 'base64' ? `data:${String(source.media_type)};base64,${String(source.data)}` : String(source.url);
  return { type: 'image_url', image_url: { url } };
}

function textOf(system: string | readonly { text: string }[] | undefined): string {
  if (system === undefined) return '';
  return typeof system === 'string' ? system : system.map((block) => block.text).join('\n\n');
}

function toolChoiceOf(choice: CountTokensRequest['tool_choice']): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (!choice) return {};
  const parallel = 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    case 'none':
      return { tool_choice: 'none' };
  }
}
