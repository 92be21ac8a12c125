import type { ChatCompletion, ChatCompletionChoice, CompletionUsage } from '@app/contracts';
import { outputTextOf } from './response-items';
import type {
  FunctionCall,
  ItemStatus,
  NewId,
  OutputItem,
  OutputMessage,
  ResponseError,
  ResponseObject,
  ResponseStatus,
  ResponseUsage,
} from './response-object';
import type { ResponsesRequest } from './responses-request.schema';

/** What a Response says besides its output: its id, when it began, what the client asked for, whether it is kept. */
export interface ResponseSeed {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  request: ResponsesRequest;
  store: boolean;
}

/** How a Response ends: its status and, where they apply, its output, usage, error and why it is incomplete. */
export interface ResponseEnding {
  status: ResponseStatus;
  output: OutputItem[];
  usage: ResponseUsage | null;
  error?: ResponseError;
  incomplete?: 'max_output_tokens' | 'content_filter';
}

/** A Response object as OpenAI's API reference defines it, echoing the request's settings; `model` is the name the client sent. */
export function responseObject(seed: ResponseSeed, ending: ResponseEnding, now = Date.now()): ResponseObject {
  const { request } = seed;
  return {
    id: seed.id,
    object: 'response',
    created_at: seed.createdAt,
    status: ending.status,
    completed_at: ending.status === 'completed' ? Math.floor(now / 1000) : null,
    error: ending.error ?? null,
    incomplete_details: ending.incomplete ? { reason: ending.incomplete } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    output: ending.output,
    output_text: outputTextOf(ending.output),
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: seed.store,
    background: false,
    temperature: request.temperature ?? null,
    text: { format: request.text?.format ?? { type: 'text' }, ...(request.text?.verbosity ? { verbosity: request.text.verbosity } : {}) },
    tool_choice: request.tool_choice ?? 'auto',
    tools: (request.tools ?? []).map((tool) => ({
      ...tool,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? null,
    })),
    top_p: request.top_p ?? null,
    truncation: request.truncation ?? 'disabled',
    // The reference has no null usage: a Response that has none (yet) leaves it out.
    ...(ending.usage ? { usage: ending.usage } : {}),
    metadata: request.metadata ?? {},
    ...(request.user !== undefined ? { user: request.user } : {}),
  };
}

/** The Response for a chat completion: its first choice's message as output items. */
export function responseFromCompletion(completion: ChatCompletion, seed: ResponseSeed, newId: NewId, now = Date.now()): ResponseObject {
  const choice = completion.choices[0];
  const { status, incomplete } = endingOf(choice?.finish_reason ?? null);
  const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
  const output = choice ? outputOf(choice.message, itemStatus, newId) : [];
  return responseObject(seed, { status, incomplete, output, usage: responseUsage(completion.usage) }, now);
}

/**
 * A chat message as output items: a `message` with its text (and refusal), unless it only calls
 * functions; then one `function_call` per tool call.
 */
export function outputOf(message: ChatCompletionChoice['message'], status: ItemStatus, newId: NewId): OutputItem[] {
  const calls = message.tool_calls ?? [];
  const text = typeof message.content === 'string' ? message.content : '';
  const refusal = typeof message.refusal === 'string' && message.refusal ? message.refusal : undefined;
  const items: OutputItem[] = [];
  if (text || refusal || calls.length === 0) {
    const content: OutputMessage['content'] = [];
    if (text || !refusal) content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
    if (refusal) content.push({ type: 'refusal', refusal });
    items.push({ id: newId('msg'), type: 'message', role: 'assistant', status, content });
  }
  for (const call of calls) {
    const item: FunctionCall = {
      id: newId('fc'),
      type: 'function_call',
      status,
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    };
    items.push(item);
  }
  return items;
}

/** Chat's finish reason as the Response's status: cut off by its token limit or a content filter, it is incomplete. */
export function endingOf(finishReason: string | null): Pick<ResponseEnding, 'status' | 'incomplete'> {
  if (finishReason === 'length') return { status: 'incomplete', incomplete: 'max_output_tokens' };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete: 'content_filter' };
  return { status: 'completed' };
}

/** Chat's usage in the Responses API's terms; the details are 0 where the backend reports none. */
export function responseUsage(usage: CompletionUsage | null | undefined): ResponseUsage | null {
  if (!usage) return null;
  const details = (field: unknown, key: string) => {
    const value = field && typeof field === 'object' ? (field as Record<string, unknown>)[key] : undefined;
    return typeof value === 'number' ? value : 0;
  };
  const input = usage.prompt_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: details(usage.prompt_tokens_details, 'cached_tokens'), cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: details(usage.completion_tokens_details, 'reasoning_tokens') },
    total_tokens: usage.total_tokens ?? input + output,
  };
}
