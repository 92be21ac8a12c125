import { z } from 'zod';
import { PRIORITY } from '@app/queue';
import { anyObject, atLeastOne, between, flag, integer, integerBetween, oneOf, text } from './chat-fields.schema';
import { chatMessage, prediction } from './chat-message.schema';
import { functionCall, functions, responseFormat, toolChoice, tools } from './chat-tools.schema';

const TOKEN_ID = /^\d+$/;

/** The messages of a map-like object (`logit_bias`, `metadata`): one for a key that does not fit, one for anything else. */
const mapError = (of: string, badKey: string) => (issue: { code: string }) =>
  issue.code === 'invalid_key' ? badKey : issue.code === 'invalid_type' ? `must be an object of ${of}` : undefined;

/**
 * The OpenAI chat body (CreateChatCompletionRequest), every field OpenAI defines checked for its
 * shape; values OpenAI adds to over time (`reasoning_effort`, `service_tier`, `verbosity`) only
 * for being strings. Fields not named here are passed through to OpenAI-compatible upstreams.
 */
export const chatRequestSchema = z
  .looseObject({
    model: text().min(1, 'must not be empty'),
    messages: z.array(chatMessage, { error: 'must be an array of messages' }).min(1, 'must contain at least one message'),
    stream: flag().nullish(),
    stream_options: z.looseObject({ include_usage: flag().optional(), include_obfuscation: flag().optional() }, { error: 'must be an object' }).nullish(),
    temperature: between(0, 2).nullish(),
    top_p: between(0, 1).nullish(),
    presence_penalty: between(-2, 2).nullish(),
    frequency_penalty: between(-2, 2).nullish(),
    max_tokens: atLeastOne().nullish(),
    max_completion_tokens: atLeastOne().nullish(),
    n: integerBetween(1, 128).nullish(),
    seed: integer().nullish(),
    stop: z.union([z.string(), z.array(text()).max(4, 'at most 4 stop sequences')], { error: 'must be a string or an array of strings' }).nullish(),
    logit_bias: z.record(z.string().regex(TOKEN_ID), between(-100, 100), { error: mapError('token ids to numbers', 'keys must be token ids') }).nullish(),
    logprobs: flag().nullish(),
    top_logprobs: integerBetween(0, 20).nullish(),
    tools: tools.optional(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: flag().nullish(),
    functions: functions.optional(),
    function_call: functionCall.optional(),
    response_format: responseFormat.optional(),
    prediction: prediction.nullish(),
    modalities: z.array(oneOf(['text', 'audio']), { error: 'must be an array' }).nullish(),
    audio: z
      .looseObject(
        { voice: z.union([text(), z.looseObject({ id: text() })], { error: 'must be a voice name or {"id"}' }), format: text() },
        { error: 'must be an object' },
      )
      .nullish(),
    reasoning_effort: text().nullish(),
    verbosity: text().nullish(),
    service_tier: text().nullish(),
    store: flag().nullish(),
    user: text().optional(),
    safety_identifier: text().max(64, 'at most 64 characters').nullish(),
    prompt_cache_key: text().nullish(),
    // LiteLLM's request metadata (tags, trace ids, any JSON values): Switchyard's own, never sent upstream.
    metadata: anyObject().nullish(),
    web_search_options: anyObject().nullish(),
    // Switchyard's queue priority (LiteLLM's request field): lower runs sooner. Not sent upstream.
    priority: integerBetween(0, PRIORITY.max).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.stream_options && body.stream !== true) {
      ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'only allowed when stream is true' });
    }
    if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true) {
      ctx.addIssue({ code: 'custom', path: ['top_logprobs'], message: 'only allowed when logprobs is true' });
    }
  });
