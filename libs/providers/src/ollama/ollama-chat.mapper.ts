import { randomBytes } from 'node:crypto';
import { type ChatCompletion, type ChatCompletionChoice, type ChatCompletionRequest, type ChatMessage, SwitchyardError, type ToolCall } from '@app/contracts';
import { capabilityRefusal } from '../capabilities';
import { isRecord } from '../is-record';
import { OLLAMA_CAPABILITIES } from './ollama-capabilities';
import type { OllamaChatRequest, OllamaChatResponse, OllamaMessage, OllamaOptions, OllamaTool, OllamaToolCall } from './ollama-wire';

const BASE64_IMAGE_URL = /^data:image\/[\w.+-]+;base64,(.+)$/s;

/** The client's OpenAI-shaped request as an Ollama `/api/chat` body. Throws `invalid_request` for what Ollama cannot do. */
export function toOllamaChatRequest(request: ChatCompletionRequest, upstreamModel: string): OllamaChatRequest {
  const refusal = capabilityRefusal('ollama', OLLAMA_CAPABILITIES, request);
  if (refusal) throw refusal;
  // Tool messages name their call by id; Ollama wants the function name, known from the assistant turn before.
  const toolNames = new Map<string, string>();
  const body: OllamaChatRequest = {
    model: upstreamModel,
    messages: request.messages.map((message, i) => toOllamaMessage(message, i, toolNames)),
    stream: false,
  };
  const format = toOllamaFormat(request.response_format);
  if (format !== undefined) body.format = format;
  const options = toOllamaOptions(request);
  if (Object.keys(options).length > 0) body.options = options;
  const tools = toOllamaTools(request);
  if (tools) body.tools = tools;
  return body;
}

/** {@link toOllamaChatRequest} for a streamed call: the same body, NDJSON asked for. */
export function toOllamaChatStreamRequest(request: ChatCompletionRequest, upstreamModel: string): OllamaChatRequest {
  return { ...toOllamaChatRequest(request, upstreamModel), stream: true };
}

/** Whether a parsed `/api/chat` answer can be read by {@link fromOllamaChatResponse}. */
export function isOllamaChatResponse(body: unknown): body is OllamaChatResponse {
  return isRecord(body) && typeof body.model === 'string' && isRecord(body.message);
}

/**
 * An Ollama `/api/chat` answer as an OpenAI `chat.completion` (with `refusal: null`, as OpenAI's answers have it). `created` is used when the
 * answer carries no usable `created_at`; `model` is the upstream's, for the caller to replace.
 */
export function fromOllamaChatResponse(body: OllamaChatResponse, ids: { id: string; created?: number }): ChatCompletion {
  const content = body.message.content ?? '';
  const toolCalls = body.message.tool_calls?.length ? body.message.tool_calls.map(toOpenAIToolCall) : undefined;
  const createdAt = body.created_at ? Date.parse(body.created_at) : Number.NaN;
  const promptTokens = body.prompt_eval_count ?? 0;
  const completionTokens = body.eval_count ?? 0;
  const choice: ChatCompletionChoice = toolCalls
    ? { index: 0, message: { role: 'assistant', content: content || null, refusal: null, tool_calls: toolCalls }, logprobs: null, finish_reason: 'tool_calls' }
    : { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: body.done_reason === 'length' ? 'length' : 'stop' };
  return {
    id: ids.id,
    object: 'chat.completion',
    created: Number.isNaN(createdAt) ? (ids.created ?? Math.floor(Date.now() / 1000)) : Math.floor(createdAt / 1000),
    model: body.model,
    choices: [choice],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function toOllamaMessage(message: ChatMessage, i: number, toolNames: Map<string, string>): OllamaMessage {
  // Ollama has no `developer` role; it is the newer name for `system`.
  const mapped: OllamaMessage = { role: message.role === 'developer' ? 'system' : message.role, ...toOllamaContent(message.content, i) };
  if (message.tool_calls?.length) {
    mapped.tool_calls = message.tool_calls.map((call, k) => {
      if ((call as { type?: unknown }).type !== 'function') {
        throw new SwitchyardError('invalid_request', 'ollama takes only function tool calls', { param: `messages[${i}].tool_calls[${k}].type` });
      }
      toolNames.set(call.id, call.function.name);
      const args = parseArguments(call.function.arguments, `messages[${i}].tool_calls[${k}].function.arguments`);
      return { function: { name: call.function.name, arguments: args } };
    });
  }
  const toolName = message.role === 'tool' && message.tool_call_id ? toolNames.get(message.tool_call_id) : undefined;
  if (toolName) mapped.tool_name = toolName;
  return mapped;
}

function toOllamaContent(content: ChatMessage['content'], i: number): Pick<OllamaMessage, 'content' | 'images'> {
  if (typeof content === 'string') return { content };
  if (!content) return { content: '' };
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((contentPart, j) => {
    const part = contentPart as Record<string, unknown>;
    const at = `messages[${i}].content[${j}]`;
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'image_url') images.push(toOllamaImage(part.image_url, `${at}.image_url`));
    else throw new SwitchyardError('invalid_request', `ollama cannot take a content part of type "${String(part.type)}"`, { param: `${at}.type` });
  });
  return images.length > 0 ? { content: texts.join('\n'), images } : { content: texts.join('\n') };
}

/** Ollama takes image bytes, not links: only base64 `data:` URLs can be passed on. */
function toOllamaImage(imageUrl: unknown, param: string): string {
  const url = isRecord(imageUrl) ? imageUrl.url : undefined;
  const base64 = typeof url === 'string' ? BASE64_IMAGE_URL.exec(url)?.[1] : undefined;
  if (base64) return base64;
  throw new SwitchyardError('invalid_request', 'ollama takes images only as base64 data URLs (data:image/...;base64,...), not links', { param });
}

function parseArguments(json: string, param: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (isRecord(parsed)) return parsed;
  throw new SwitchyardError('invalid_request', 'tool call arguments must be a JSON object', { param });
}

function toOllamaFormat(responseFormat: ChatCompletionRequest['response_format']): unknown {
  if (!responseFormat || responseFormat.type === 'text') return undefined;
  if (responseFormat.type === 'json_object') return 'json';
  if (responseFormat.type === 'json_schema' && responseFormat.json_schema?.schema !== undefined) return responseFormat.json_schema.schema;
  throw new SwitchyardError('invalid_request', `ollama cannot honour response_format of type "${responseFormat.type}" without a schema`, {
    param: 'response_format',
  });
}

/** The sampling fields of an OpenAI request (chat or legacy completion) as Ollama's `options`. */
export function toOllamaOptions(request: Readonly<Record<string, unknown>>): OllamaOptions {
  const options: OllamaOptions = {
    num_predict: numberOrUndefined(request.max_completion_tokens ?? request.max_tokens),
    temperature: numberOrUndefined(request.temperature),
    top_p: numberOrUndefined(request.top_p),
    // Not an OpenAI field; sent by clients of APIs that have it (Anthropic's Messages) and by chat clients that know Ollama.
    top_k: numberOrUndefined(request.top_k),
    stop: typeof request.stop === 'string' ? [request.stop] : Array.isArray(request.stop) ? request.stop : undefined,
    seed: numberOrUndefined(request.seed),
    frequency_penalty: numberOrUndefined(request.frequency_penalty),
    presence_penalty: numberOrUndefined(request.presence_penalty),
  };
  return withoutUndefined(options);
}

function toOllamaTools(request: ChatCompletionRequest): OllamaTool[] | undefined {
  if (!Array.isArray(request.tools) || request.tools.length === 0 || request.tool_choice === 'none') return undefined;
  return request.tools.map((tool: unknown, k) => {
    const fn = isRecord(tool) && tool.type === 'function' && isRecord(tool.function) ? tool.function : undefined;
    if (!fn || typeof fn.name !== 'string') {
      throw new SwitchyardError('invalid_request', 'ollama takes only function tools with a name', { param: `tools[${k}]` });
    }
    const description = typeof fn.description === 'string' ? fn.description : undefined;
    return { type: 'function', function: withoutUndefined({ name: fn.name, description, parameters: fn.parameters }) };
  });
}

/** An Ollama tool call in OpenAI's shape: arguments as a JSON string, an id made up when Ollama sent none. */
export function toOpenAIToolCall(call: OllamaToolCall): ToolCall {
  const args = call.function.arguments;
  return {
    // Ollama may leave calls unnamed; OpenAI clients match tool results by this id.
    id: call.id ?? `call_${randomBytes(12).toString('hex')}`,
    type: 'function',
    function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
  };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
