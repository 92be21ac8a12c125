import type { ChatCompletion, ChatCompletionRequest } from '@app/contracts';
import { isRecord } from '../is-record';

/** The client's body for the upstream: its model name, no streaming; every other field untouched. */
export function toOpenAIChatRequest(request: ChatCompletionRequest, upstreamModel: string): ChatCompletionRequest {
  // OpenAI rejects `stream_options` unless `stream` is true.
  const { stream_options: _streamOptions, ...rest } = request;
  return { ...rest, model: upstreamModel, stream: false };
}

/**
 * The client's body for a streamed upstream call: its model name, streaming on and usage always
 * asked for (spend needs it, whatever the client wants to see); every other field untouched.
 */
export function toOpenAIChatStreamRequest(request: ChatCompletionRequest, upstreamModel: string): ChatCompletionRequest {
  const streamOptions = isRecord(request.stream_options) ? request.stream_options : {};
  return { ...request, model: upstreamModel, stream: true, stream_options: { ...streamOptions, include_usage: true } };
}

/**
 * The upstream's answer when it is a chat completion, with the fields some OpenAI-compatible
 * servers omit filled in; `undefined` when it is not one.
 */
export function fromOpenAIChatResponse(body: unknown): ChatCompletion | undefined {
  if (!isRecord(body) || !Array.isArray(body.choices) || body.choices.length === 0) return undefined;
  const choices = body.choices;
  if (!choices.every((choice) => isRecord(choice) && isRecord(choice.message))) return undefined;
  return {
    ...body,
    choices: choices.map((choice: Record<string, unknown>) => ({ ...choice, logprobs: choice.logprobs ?? null })),
    usage: isRecord(body.usage) ? body.usage : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  } as ChatCompletion;
}
