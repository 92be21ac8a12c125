import { randomBytes } from 'node:crypto';
import type { ChatCompletion, CompletionUsage } from '@app/contracts';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** Anthropic's `Message`: the answer of `POST /v1/messages`. */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  content: (TextBlock | ToolUseBlock)[];
  model: string;
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** What the answer mappers need of the request besides the chat answer. */
export interface AnswerContext {
  /** The name the client asked for; the answer carries it as `model`. */
  model: string;
  stopSequences: readonly string[];
}

/** A new message id in Anthropic's form (`msg_` and 24 characters). */
export function messageId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

/**
 * A chat completion as an Anthropic message: the text (when there is any) as a text block, then
 * each tool call as a `tool_use` block with its arguments parsed (arguments that are not a JSON
 * object become `{}`, as Anthropic's `input` is always one); reasoning is not shown (see the
 * request mapper on `thinking`).
 */
export function toAnthropicMessage(completion: ChatCompletion, context: AnswerContext): AnthropicMessage {
  const choice = completion.choices[0];
  const content: AnthropicMessage['content'] = [];
  const text = typeof choice?.message.content === 'string' ? choice.message.content : '';
  if (text) content.push({ type: 'text', text });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseInput(call.function.arguments) });
  }
  const stop = stopOf(
    choice ?? {},
    context.stopSequences,
    content.some((block) => block.type === 'tool_use'),
  );
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    content,
    model: context.model,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage: toAnthropicUsage(completion.usage),
  };
}

/**
 * Why the chat answer stopped, in Anthropic's words. Chat says `stop` both for a natural end and
 * for a stop sequence; a stop sequence is known only where the backend names the one it matched
 * (vLLM's `stop_reason`, SGLang's `matched_stop` on the choice), otherwise the answer ends its turn.
 */
export function stopOf(
  choice: { finish_reason?: string | null },
  stopSequences: readonly string[],
  calledTools: boolean,
): { reason: StopReason; sequence: string | null } {
  if (calledTools || choice.finish_reason === 'tool_calls' || choice.finish_reason === 'function_call') return { reason: 'tool_use', sequence: null };
  if (choice.finish_reason === 'length') return { reason: 'max_tokens', sequence: null };
  if (choice.finish_reason === 'content_filter') return { reason: 'refusal', sequence: null };
  const { stop_reason: stopReason, matched_stop: matchedStop } = choice as Record<string, unknown>;
  const matched = [stopReason, matchedStop].find((value): value is string => typeof value === 'string' && stopSequences.includes(value));
  return matched !== undefined ? { reason: 'stop_sequence', sequence: matched } : { reason: 'end_turn', sequence: null };
}

/** Chat usage in Anthropic's terms: cached prompt tokens count apart from `input_tokens`, as Anthropic counts them. */
export function toAnthropicUsage(usage: CompletionUsage | null | undefined): AnthropicUsage {
  const prompt = usage?.prompt_tokens ?? 0;
  const details = usage?.prompt_tokens_details as { cached_tokens?: unknown } | undefined;
  const cached = typeof details?.cached_tokens === 'number' ? Math.min(details.cached_tokens, prompt) : 0;
  return {
    input_tokens: prompt - cached,
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

/** A tool call's JSON arguments as `input`; `{}` when they are empty or not a JSON object. */
export function parseInput(json: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json || '{}');
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
