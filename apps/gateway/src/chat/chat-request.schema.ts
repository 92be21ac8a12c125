import { z } from 'zod';
import { CHAT_ROLES } from '@app/contracts';
import { PRIORITY } from '@app/queue';

const contentPart = z.looseObject({ type: z.string({ error: 'each content part needs a "type"' }) }).superRefine((part, ctx) => {
  if (part.type === 'text' && typeof part.text !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['text'], message: 'a text part needs a "text" string' });
  }
  if (part.type === 'image_url') {
    const image = part.image_url as { url?: unknown } | undefined;
    if (typeof image?.url !== 'string') ctx.addIssue({ code: 'custom', path: ['image_url', 'url'], message: 'an image_url part needs "image_url.url"' });
  }
});

const message = z
  .looseObject({
    role: z.enum(CHAT_ROLES as [string, ...string[]], { error: `must be one of ${CHAT_ROLES.join(', ')}` }),
    content: z.union([z.string(), z.array(contentPart)], { error: 'must be a string or an array of content parts' }).nullish(),
  })
  .superRefine((m, ctx) => {
    // Only an assistant turn that calls tools may come without content.
    if ((m.content === undefined || m.content === null) && !(m.role === 'assistant' && Array.isArray(m.tool_calls))) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: `a ${m.role} message needs content` });
    }
  });

const between = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);
const atLeastOne = z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1');

/** The OpenAI chat body. Fields not named here are passed through to OpenAI-compatible upstreams. */
export const chatRequestSchema = z.looseObject({
  model: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  messages: z.array(message, { error: 'must be an array of messages' }).min(1, 'must contain at least one message'),
  stream: z.boolean({ error: 'must be true or false' }).optional(),
  temperature: between(0, 2).nullish(),
  top_p: between(0, 1).nullish(),
  presence_penalty: between(-2, 2).nullish(),
  frequency_penalty: between(-2, 2).nullish(),
  max_tokens: atLeastOne.nullish(),
  max_completion_tokens: atLeastOne.nullish(),
  n: atLeastOne.nullish(),
  seed: z.number().int('must be an integer').nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4, 'at most 4 stop sequences')], { error: 'must be a string or an array of strings' }).nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean({ error: 'must be true or false' }).optional() }, { error: 'must be an object' }).nullish(),
  // Switchyard's queue priority (LiteLLM's request field): lower runs sooner. Not sent upstream.
  priority: z.number({ error: 'must be an integer' }).int('must be an integer').min(0, `must be between 0 and ${PRIORITY.max}`).max(PRIORITY.max, `must be between 0 and ${PRIORITY.max}`).optional(),
}).superRefine((body, ctx) => {
  if (body.stream_options && body.stream !== true) {
    ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'only allowed when stream is true' });
  }
});
