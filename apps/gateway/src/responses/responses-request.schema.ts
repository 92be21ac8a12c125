import { z } from 'zod';
import { atLeastOne, between, flag, integerBetween, oneOf, text } from '../chat/chat-fields.schema';
import { storedText } from '../http/stored-values';
import { input } from './responses-input.schema';
import { textOptions, toolChoice, tools } from './responses-tools.schema';

/** OpenAI's bounds on `metadata`: 16 pairs, keys up to 64 characters, string values up to 512. */
const metadata = z
  .record(
    z.string().max(64, 'keys must be at most 64 characters'),
    z.string({ error: 'values must be strings' }).max(512, 'values must be at most 512 characters'),
    {
      error: (issue) => (issue.code === 'invalid_type' ? 'must be an object of strings' : undefined),
    },
  )
  .refine((pairs) => Object.keys(pairs).length <= 16, 'must hold at most 16 pairs');

/** Fields of OpenAI's Responses API that need something Switchyard does not have. */
const REFUSED: Record<string, string> = {
  conversation: 'conversations are not supported: continue with previous_response_id, or send the whole input',
  prompt: 'stored prompt templates are not supported: send instructions and input',
};

/**
 * The Responses API body (CreateResponse) as Switchyard serves it over chat backends: every
 * field it acts on checked for its shape, a 400 naming the field for what it cannot do (hosted
 * tools, background runs, conversations, prompt templates). Fields OpenAI adds over time that
 * change nothing here (`include`, `truncation`, `max_tool_calls`, `stream_options`, …) are
 * accepted and left alone.
 */
export const responsesRequestSchema = z
  .looseObject({
    model: text().min(1, 'must not be empty'),
    input: input.optional(),
    instructions: text().nullish(),
    previous_response_id: storedText().min(1, 'must not be empty').max(128, 'is not a response id').nullish(),
    tools: tools.nullish(),
    tool_choice: toolChoice.nullish(),
    parallel_tool_calls: flag().nullish(),
    max_output_tokens: atLeastOne().nullish(),
    temperature: between(0, 2).nullish(),
    top_p: between(0, 1).nullish(),
    text: textOptions.nullish(),
    reasoning: z.looseObject({ effort: text().nullish(), summary: text().nullish() }, { error: 'must be an object' }).nullish(),
    metadata: metadata.nullish(),
    user: text().optional(),
    safety_identifier: text().max(64, 'at most 64 characters').nullish(),
    prompt_cache_key: text().nullish(),
    service_tier: text().nullish(),
    stream: flag().nullish(),
    store: flag().nullish(),
    background: flag().nullish(),
    truncation: oneOf(['auto', 'disabled']).nullish(),
    include: z.array(text(), { error: 'must be an array of strings' }).nullish(),
    top_logprobs: integerBetween(0, 20).nullish(),
  })
  .superRefine((body, ctx) => {
    for (const [field, why] of Object.entries(REFUSED)) {
      if (body[field] !== undefined && body[field] !== null) ctx.addIssue({ code: 'custom', path: [field], message: why });
    }
    if (body.background === true) {
      ctx.addIssue({ code: 'custom', path: ['background'], message: 'background responses are not supported: stream the response instead' });
    }
    if (body.input === undefined && !body.previous_response_id) {
      ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['input'], input: undefined, message: 'is required' });
    }
  });

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
