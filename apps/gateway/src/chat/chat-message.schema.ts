import { z } from 'zod';
import { oneKindOf, text } from './chat-fields.schema';

/**
 * `messages[]` of an OpenAI chat request, by role, as OpenAI's API reference defines them. Fields
 * not named here pass through (providers add their own, e.g. `cache_control`).
 */

const textPart = z.looseObject({ type: z.literal('text'), text: text() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: text(), detail: text().optional() }, { error: 'must be an object with a "url"' }),
});
const audioPart = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: text(), format: text() }, { error: 'must be an object with "data" and "format"' }),
});
const filePart = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_data: text().optional(), file_id: text().optional(), filename: text().optional() }, { error: 'must be an object' }),
});
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: text() });

/** A string, or an array of the parts this role may send. */
const content = <const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(parts: T) =>
  z.union([z.string(), z.array(oneKindOf('type', parts))], { error: 'must be a string or an array of content parts' });
const textOnly = content([textPart]);

const functionCall = z.looseObject({
  id: text(),
  type: z.literal('function'),
  function: z.looseObject({ name: text(), arguments: text() }, { error: 'must be an object with "name" and "arguments"' }),
});
const customToolCall = z.looseObject({
  id: text(),
  type: z.literal('custom'),
  custom: z.looseObject({ name: text(), input: text() }, { error: 'must be an object with "name" and "input"' }),
});
const toolCalls = z.array(oneKindOf('type', [functionCall, customToolCall]), { error: 'must be an array of tool calls' });

const instructions = (role: 'system' | 'developer') => z.looseObject({ role: z.literal(role), content: textOnly, name: text().optional() });

const user = z.looseObject({ role: z.literal('user'), content: content([textPart, imagePart, audioPart, filePart]), name: text().optional() });

const assistant = z
  .looseObject({
    role: z.literal('assistant'),
    content: content([textPart, refusalPart]).nullish(),
    refusal: text().nullish(),
    name: text().optional(),
    tool_calls: toolCalls.optional(),
    // Deprecated by OpenAI in favour of tool_calls; still accepted there.
    function_call: z.looseObject({ name: text(), arguments: text() }, { error: 'must be an object with "name" and "arguments"' }).nullish(),
    audio: z.looseObject({ id: text() }, { error: 'must be an object with an "id"' }).nullish(),
  })
  .superRefine((message, ctx) => {
    // Only an assistant turn that calls tools may come without content.
    if ((message.content === undefined || message.content === null) && !message.tool_calls && !message.function_call) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'an assistant message needs content unless it has tool_calls' });
    }
  });

const tool = z.looseObject({ role: z.literal('tool'), content: textOnly, tool_call_id: text() });

export const chatMessage = oneKindOf('role', [instructions('system'), instructions('developer'), user, assistant, tool]);

/** Prediction of the answer (OpenAI's predicted outputs): text the model is likely to repeat. */
export const prediction = z.looseObject({ type: z.literal('content'), content: textOnly }, { error: 'must be an object' });
