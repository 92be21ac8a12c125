import { type ChatCompletionRequest, type ChatMessage, type ContentPart, SwitchyardError } from '@app/contracts';
import type { ConversationItem, ConversationMessage } from './response-items';
import type { OutputText, Refusal } from './response-object';
import type { ResponsesRequest } from './responses-request.schema';

/**
 * A Responses API request as the chat request every backend serves: `instructions`, then the
 * conversation (earlier responses' input and output, then this call's input) as chat messages,
 * and the options chat has. `items` are the conversation items, already given ids.
 */
export function toChatRequest(request: ResponsesRequest, items: readonly ConversationItem[], stream: boolean): ChatCompletionRequest {
  const messages = toChatMessages(request.instructions, items);
  if (messages.length === 0) throw new SwitchyardError('invalid_request', 'input must hold at least one message', { param: 'input' });
  const tools = request.tools?.length ? request.tools : undefined;
  const format = request.text?.format;
  return definedFields({
    model: request.model,
    messages,
    stream: stream || undefined,
    max_completion_tokens: request.max_output_tokens,
    temperature: request.temperature,
    top_p: request.top_p,
    tools: tools?.map(({ name, description, parameters, strict }) => ({
      type: 'function',
      function: definedFields({ name, description, parameters, strict }),
    })),
    // Chat refuses both without tools.
    tool_choice: tools ? toChatToolChoice(request.tool_choice) : undefined,
    parallel_tool_calls: tools ? request.parallel_tool_calls : undefined,
    response_format:
      format?.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: definedFields({ name: format.name, description: format.description, schema: format.schema, strict: format.strict }),
          }
        : format?.type === 'json_object'
          ? { type: 'json_object' }
          : undefined,
    // OpenAI-wire backends take it as chat's reasoning_effort; the Ollama wire does not pass it on.
    reasoning_effort: request.reasoning?.effort,
    verbosity: request.text?.verbosity,
    user: request.user,
    safety_identifier: request.safety_identifier,
    prompt_cache_key: request.prompt_cache_key,
    service_tier: request.service_tier,
  }) as ChatCompletionRequest;
}

/**
 * Items as chat messages. A developer message is sent as a system message (chat's older name,
 * which every backend knows and OpenAI reads the same way); function calls join the assistant
 * turn before them, as one chat message's `tool_calls`; function outputs are `tool` messages;
 * reasoning items are left out (only OpenAI's own models can read them back).
 */
export function toChatMessages(instructions: string | null | undefined, items: readonly ConversationItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  // The assistant message function calls may join: the last message, while it is the assistant's.
  let assistant: ChatMessage | undefined;
  for (const item of items) {
    if (item.type === 'reasoning') continue;
    if (item.type === 'function_call') {
      const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
      if (!assistant) messages.push((assistant = { role: 'assistant', content: null }));
      assistant.tool_calls = [...(assistant.tool_calls ?? []), call];
      continue;
    }
    if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? item.output : item.output.map((part) => part.text).join('');
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: output });
      assistant = undefined;
      continue;
    }
    const message: ChatMessage = { role: item.role === 'developer' ? 'system' : item.role, content: toChatContent(item.content) };
    messages.push(message);
    assistant = item.role === 'assistant' ? message : undefined;
  }
  return messages;
}

type Part = ConversationMessage['content'][number] | OutputText | Refusal;

/** Texts as one string (what every backend takes); with an image or a file, chat's list of parts. */
function toChatContent(content: readonly Part[]): string | ContentPart[] {
  const parts = content.map(toChatPart);
  return parts.every((part) => part.type === 'text') ? parts.map((part) => (part as { text: string }).text).join('') : parts;
}

function toChatPart(part: Part): ContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
      return { type: 'image_url', image_url: definedFields({ url: part.image_url ?? '', detail: part.detail ?? undefined }) };
    case 'input_file':
      return { type: 'file', file: definedFields({ file_data: part.file_data, filename: part.filename }) };
  }
}

function toChatToolChoice(choice: ResponsesRequest['tool_choice']): unknown {
  if (choice === undefined || choice === null || typeof choice === 'string') return choice ?? undefined;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  return {
    type: 'allowed_tools',
    allowed_tools: { mode: choice.mode, tools: choice.tools.map((tool) => ({ type: 'function', function: { name: tool.name } })) },
  };
}

/** The object without its undefined and null fields: what the client left out is not sent. */
function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined && field !== null)) as T;
}
