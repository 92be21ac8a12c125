import type { Attributes } from '@opentelemetry/api';
import type { Operation } from '@app/contracts';

/**
 * Span attributes after OpenTelemetry's GenAI semantic conventions: what was asked of which model
 * and what it used. Numbers and names only: never a prompt, an answer or a credential.
 */
/** GenAI's name for one of the project's operations (`gen_ai.operation.name`). */
const GEN_AI_OPERATION: Record<Operation, string> = { chat: 'chat', completions: 'text_completion', embeddings: 'embeddings' };

export function genAiRequestAttributes(operation: Operation, model: string | undefined, request: unknown): Attributes {
  const body = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const attributes: Attributes = { 'gen_ai.operation.name': GEN_AI_OPERATION[operation] };
  if (model) attributes['gen_ai.request.model'] = model;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') attributes['gen_ai.request.max_tokens'] = maxTokens;
  for (const [field, name] of [
    ['temperature', 'gen_ai.request.temperature'],
    ['top_p', 'gen_ai.request.top_p'],
    ['seed', 'gen_ai.request.seed'],
    ['n', 'gen_ai.request.choice.count'],
  ] as const) {
    if (typeof body[field] === 'number') attributes[name] = body[field];
  }
  return attributes;
}

/** Attributes of an OpenAI-shaped answer: its id, the model that answered, why it stopped, tokens used. */
export function genAiResponseAttributes(answer: unknown, usage: unknown): Attributes {
  const attributes: Attributes = {};
  const body = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (typeof body.id === 'string') attributes['gen_ai.response.id'] = body.id;
  if (typeof body.model === 'string') attributes['gen_ai.response.model'] = body.model;
  if (Array.isArray(body.choices)) {
    const reasons = body.choices.map((c) => (c as { finish_reason?: unknown })?.finish_reason).filter((r): r is string => typeof r === 'string');
    if (reasons.length) attributes['gen_ai.response.finish_reasons'] = reasons;
  }
  return { ...attributes, ...genAiUsageAttributes(usage) };
}

/** Tokens in and out, from OpenAI's `usage` shape. */
export function genAiUsageAttributes(usage: unknown): Attributes {
  const counts = (typeof usage === 'object' && usage !== null ? usage : {}) as Record<string, unknown>;
  const attributes: Attributes = {};
  if (typeof counts.prompt_tokens === 'number') attributes['gen_ai.usage.input_tokens'] = counts.prompt_tokens;
  if (typeof counts.completion_tokens === 'number') attributes['gen_ai.usage.output_tokens'] = counts.completion_tokens;
  return attributes;
}
