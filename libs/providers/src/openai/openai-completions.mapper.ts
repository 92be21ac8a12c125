import type { CompletionRequest, TextCompletion } from '@app/contracts';
import { isRecord } from '../is-record';

/** The client's body for the upstream's `/completions`: its model name, no streaming; every other field untouched. */
export function toOpenAICompletionRequest(request: CompletionRequest, upstreamModel: string): CompletionRequest {
  // OpenAI rejects `stream_options` unless `stream` is true.
  const { stream_options: _streamOptions, ...rest } = request;
  return { ...rest, model: upstreamModel, stream: false };
}

/** The same for a streamed call: usage always asked for (spend needs it, whatever the client wants to see). */
export function toOpenAICompletionStreamRequest(request: CompletionRequest, upstreamModel: string): CompletionRequest {
  const streamOptions = isRecord(request.stream_options) ? request.stream_options : {};
  return { ...request, model: upstreamModel, stream: true, stream_options: { ...streamOptions, include_usage: true } };
}

/**
 * The upstream's answer when it is a text completion, with the fields some OpenAI-compatible
 * servers omit filled in (`object`, each choice's `index`, `logprobs`, `finish_reason`, zero
 * usage); `undefined` when it is not one (a choice without `text`).
 */
export function fromOpenAICompletionResponse(body: unknown): TextCompletion | undefined {
  const completion = fromOpenAICompletionChunk(body);
  if (!completion || completion.choices.length === 0) return undefined;
  return { ...completion, usage: isRecord(completion.usage) ? completion.usage : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } };
}

/**
 * One chunk of a streamed text completion, filled in like {@link fromOpenAICompletionResponse};
 * `undefined` when it is not one. A chunk of only usage has no choices.
 */
export function fromOpenAICompletionChunk(body: unknown): TextCompletion | undefined {
  if (!isRecord(body) || !Array.isArray(body.choices)) return undefined;
  const choices: unknown[] = body.choices;
  if (!choices.every((choice): choice is Record<string, unknown> => isRecord(choice) && typeof choice.text === 'string')) {
    return undefined;
  }
  const { usage, ...rest } = body;
  const completion = {
    ...rest,
    object: 'text_completion',
    choices: choices.map((choice: Record<string, unknown>, k) => ({
      ...choice,
      index: typeof choice.index === 'number' ? choice.index : k,
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finish_reason ?? null,
    })),
  } as TextCompletion;
  if (isRecord(usage)) completion.usage = usage as TextCompletion['usage'];
  return completion;
}
