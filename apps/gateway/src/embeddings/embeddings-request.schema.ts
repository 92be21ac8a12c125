import { z } from 'zod';
import { PRIORITY } from '@app/queue';
import { anyObject, atLeastOne, integer, integerBetween, oneOf, text } from '../chat/chat-fields.schema';

/** OpenAI's most inputs in one request. */
const MAX_INPUTS = 2048;

const tokenId = () => integer().min(0, 'token ids are not negative');
const someText = () => text().min(1, 'must not be empty');
const tokenArray = () => z.array(tokenId(), { error: 'must be an array of token ids' }).min(1, 'must not be empty');

/**
 * OpenAI's CreateEmbeddingRequest: `input` as a string, strings, token ids or arrays of token
 * ids (none empty, at most 2048); `encoding_format` float or base64; `dimensions`; `user`. Fields
 * not named here are passed through to OpenAI-compatible upstreams.
 */
export const embeddingsRequestSchema = z
  .looseObject({
    model: text().min(1, 'must not be empty'),
    input: z.union([someText(), z.array(someText()).min(1, 'must not be empty'), tokenArray(), z.array(tokenArray()).min(1, 'must not be empty')], {
      error: 'must be a string, an array of strings, an array of token ids or an array of arrays of token ids',
    }),
    encoding_format: oneOf(['float', 'base64']).optional(),
    dimensions: atLeastOne().optional(),
    user: text().optional(),
    // LiteLLM's request metadata: Switchyard's own, never sent upstream.
    metadata: anyObject().nullish(),
    // Switchyard's queue priority (LiteLLM's request field): lower runs sooner. Not sent upstream.
    priority: integerBetween(0, PRIORITY.max).optional(),
  })
  .superRefine((body, ctx) => {
    // Counted here, not in the union: a long array of strings would otherwise be reported as token ids that are not numbers.
    const inputs = Array.isArray(body.input) && body.input.some((item) => typeof item !== 'number') ? body.input.length : 1;
    if (inputs > MAX_INPUTS) ctx.addIssue({ code: 'custom', path: ['input'], message: `at most ${MAX_INPUTS} inputs` });
  });
