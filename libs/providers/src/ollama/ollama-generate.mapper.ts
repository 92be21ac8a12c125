import type { CompletionRequest, CompletionUsage, TextCompletion } from '@app/contracts';
import { completionCapabilityRefusal } from '../capabilities';
import { isRecord } from '../is-record';
import { OLLAMA_CAPABILITIES } from './ollama-capabilities';
import { toOllamaOptions } from './ollama-chat.mapper';
import type { OllamaGenerateRequest, OllamaGenerateResponse } from './ollama-wire';

/**
 * A legacy completion as an Ollama `/api/generate` body. Throws `invalid_request` for what Ollama
 * cannot do (several prompts, token ids, `n` > 1, `echo`, `logprobs`, `best_of`).
 *
 * Without a suffix the prompt goes `raw`: a completion continues the text as written, where the
 * model's chat template would turn it into a question to answer. With a suffix the template is
 * what places prompt and suffix around the gap (fill-in-the-middle), so `raw` is left out.
 */
export function toOllamaGenerateRequest(request: CompletionRequest, upstreamModel: string): OllamaGenerateRequest {
  const refusal = completionCapabilityRefusal('ollama', OLLAMA_CAPABILITIES, request);
  if (refusal) throw refusal;
  const prompt = (Array.isArray(request.prompt) ? request.prompt[0] : request.prompt) as string;
  const body: OllamaGenerateRequest = { model: upstreamModel, prompt, stream: false };
  if (typeof request.suffix === 'string' && request.suffix !== '') body.suffix = request.suffix;
  else body.raw = true;
  const options = toOllamaOptions(request);
  if (Object.keys(options).length > 0) body.options = options;
  return body;
}

/** {@link toOllamaGenerateRequest} for a streamed call: the same body, NDJSON asked for. */
export function toOllamaGenerateStreamRequest(request: CompletionRequest, upstreamModel: string): OllamaGenerateRequest {
  return { ...toOllamaGenerateRequest(request, upstreamModel), stream: true };
}

/** Whether a parsed `/api/generate` answer or stream line can be read by the functions below. */
export function isOllamaGenerateResponse(body: unknown): body is OllamaGenerateResponse {
  return isRecord(body) && typeof body.model === 'string' && typeof body.response === 'string';
}

/**
 * An Ollama `/api/generate` answer as an OpenAI `text_completion`. `created` is used when the
 * answer carries no usable `created_at`; `model` is the upstream's, for the caller to replace.
 */
export function fromOllamaGenerateResponse(body: OllamaGenerateResponse, ids: { id: string; created?: number }): TextCompletion {
  return {
    id: ids.id,
    object: 'text_completion',
    created: createdOf(body, ids.created),
    model: body.model,
    choices: [{ text: body.response, index: 0, logprobs: null, finish_reason: generateFinishReason(body) }],
    usage: generateUsage(body),
  };
}

/** Why generation stopped, in OpenAI's words: `length` when it ran out of `num_predict`, else `stop`. */
export function generateFinishReason(body: OllamaGenerateResponse): 'stop' | 'length' {
  return body.done_reason === 'length' ? 'length' : 'stop';
}

export function generateUsage(body: OllamaGenerateResponse): CompletionUsage {
  const promptTokens = countOf(body.prompt_eval_count);
  const completionTokens = countOf(body.eval_count);
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

function createdOf(body: OllamaGenerateResponse, fallback?: number): number {
  const createdAt = body.created_at ? Date.parse(body.created_at) : Number.NaN;
  return Number.isNaN(createdAt) ? (fallback ?? Math.floor(Date.now() / 1000)) : Math.floor(createdAt / 1000);
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
