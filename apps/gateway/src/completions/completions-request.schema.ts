import { z } from 'zod';
import { PRIORITY } from '@app/queue';
import { anyObject, between, flag, integer, integerBetween, text } from '../chat/chat-fields.schema';

const TOKEN_ID = /^\d+$/;
const tokenIds = () => z.array(integer().min(0, 'must be token ids'), { error: 'must be an array of token ids' }).min(1, 'must not be empty');

/**
 * The OpenAI legacy completions body (CreateCompletionRequest), every field OpenAI defines checked
 * for its shape. Fields not named here are passed through to OpenAI-compatible upstreams.
 */
export const completionRequestSchema = z
  .looseObject({
    model: text().min(1, 'must not be empty'),
    prompt: z.union([text(), z.array(text(), { error: 'must be an array of strings' }).min(1, 'must not be empty'), tokenIds(), z.array(tokenIds()).min(1)], {
      error: 'must be a string, an array of strings, an array of token ids or an array of token id arrays',
    }),
    suffix: text().nullish(),
    max_tokens: integer().min(0, 'must be at least 0').nullish(),
    temperature: between(0, 2).nullish(),
    top_p: between(0, 1).nullish(),
    n: integerBetween(1, 128).nullish(),
    best_of: integerBetween(0, 20).nullish(),
    stream: flag().nullish(),
    stream_options: z.looseObject({ include_usage: flag().optional() }, { error: 'must be an object' }).nullish(),
    logprobs: integerBetween(0, 5).nullish(),
    echo: flag().nullish(),
    stop: z.union([z.string(), z.array(text()).max(4, 'at most 4 stop sequences')], { error: 'must be a string or an array of strings' }).nullish(),
    presence_penalty: between(-2, 2).nullish(),
    frequency_penalty: between(-2, 2).nullish(),
    logit_bias: z
      .record(z.string().regex(TOKEN_ID), between(-100, 100), {
        error: (issue) =>
          issue.code === 'invalid_key' ? 'keys must be token ids' : issue.code === 'invalid_type' ? 'must be an object of token ids to numbers' : undefined,
      })
      .nullish(),
    seed: integer().nullish(),
    user: text().optional(),
    // LiteLLM's request metadata: Switchyard's own, never sent upstream.
    metadata: anyObject().nullish(),
    // Switchyard's queue priority (LiteLLM's request field): lower runs sooner. Not sent upstream.
    priority: integerBetween(0, PRIORITY.max).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.stream_options && body.stream !== true) {
      ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'only allowed when stream is true' });
    }
    if (typeof body.best_of === 'number' && typeof body.n === 'number' && body.best_of < body.n) {
      ctx.addIssue({ code: 'custom', path: ['best_of'], message: 'must be at least n' });
    }
    if (body.stream === true && typeof body.best_of === 'number' && body.best_of > 1) {
      ctx.addIssue({ code: 'custom', path: ['best_of'], message: 'cannot be streamed; leave it out or set stream to false' });
    }
  });
