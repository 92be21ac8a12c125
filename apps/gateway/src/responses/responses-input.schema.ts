import { z } from 'zod';
import { oneOf, text } from '../chat/chat-fields.schema';

/**
 * `input` of a Responses API request: a string, or a list of items as OpenAI's API reference
 * defines them — messages (`input_text`, `input_image`, `input_file` parts; `output_text` and
 * `refusal` parts in assistant turns), `function_call`, `function_call_output`, and `reasoning`
 * items (accepted, not passed on: only OpenAI's own models can read them). Fields not named here
 * are accepted and left alone.
 */

/**
 * An object of one of `kinds`, told apart by `field`; for any other value of `field`, `refusal`
 * says why that one is not taken (so the 400 names what the client sent, not only what it may).
 */
export function supportedKindOf<const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(field: string, kinds: T, refusal: (value: string) => string) {
  const known = kinds.map((kind) => String((kind.shape[field] as z.ZodLiteral).value)).join(', ');
  return z.discriminatedUnion(field, kinds, {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return issue.code === 'invalid_type' ? 'must be an object' : undefined;
      const value = (issue.input as Record<string, unknown> | undefined)?.[field];
      return typeof value === 'string' ? refusal(value) : `must be one of ${known}`;
    },
  });
}

const inputText = z.looseObject({ type: z.literal('input_text'), text: text() });
const inputImage = z
  .looseObject({ type: z.literal('input_image'), image_url: text().nullish(), file_id: text().nullish(), detail: text().nullish() })
  .superRefine((part, ctx) => {
    if (!part.image_url) {
      ctx.addIssue({ code: 'custom', path: ['image_url'], message: 'is required: Switchyard has no Files API, so an image is sent as a URL or a data: URL' });
    }
  });
const inputFile = z
  .looseObject({
    type: z.literal('input_file'),
    file_data: text().optional(),
    filename: text().optional(),
    file_id: text().nullish(),
    file_url: text().optional(),
  })
  .superRefine((part, ctx) => {
    if (!part.file_data) {
      ctx.addIssue({ code: 'custom', path: ['file_data'], message: 'is required: Switchyard has no Files API, so a file is sent as a base64 data: URL' });
    }
  });
const outputText = z.looseObject({ type: z.literal('output_text'), text: text() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: text() });

/** The parts each role may send (chat takes images and files from the user alone). */
const PARTS_BY_ROLE: Record<string, string[]> = {
  user: ['input_text', 'input_image', 'input_file'],
  system: ['input_text'],
  developer: ['input_text'],
  assistant: ['output_text', 'refusal', 'input_text'],
};
const part = supportedKindOf('type', [inputText, inputImage, inputFile, outputText, refusal], (type) => `content parts of type "${type}" are not supported`);

const message = z
  .looseObject({
    type: z.literal('message'),
    id: text().optional(),
    role: oneOf(['user', 'system', 'developer', 'assistant']),
    content: z.union([text(), z.array(part)], { error: 'must be a string or an array of content parts' }),
    status: text().optional(),
  })
  .superRefine((item, ctx) => {
    if (typeof item.content === 'string') return;
    const allowed = PARTS_BY_ROLE[item.role];
    item.content.forEach((contentPart, j) => {
      if (!allowed.includes(contentPart.type)) {
        ctx.addIssue({ code: 'custom', path: ['content', j, 'type'], message: `a ${item.role} message takes ${allowed.join(', ')} parts` });
      }
    });
  });

const functionCall = z.looseObject({
  type: z.literal('function_call'),
  id: text().optional(),
  call_id: text(),
  name: text(),
  arguments: text(),
  status: text().optional(),
});

const functionCallOutput = z.looseObject({
  type: z.literal('function_call_output'),
  id: text().nullish(),
  call_id: text(),
  output: z.union(
    [
      text(),
      z.array(
        supportedKindOf('type', [inputText], (type) => `a chat backend takes only text as a function's output, not "${type}"`),
        { error: 'must be an array of content parts' },
      ),
    ],
    { error: 'must be a string or an array of content parts' },
  ),
  status: text().nullish(),
});

/** The model's own reasoning from an earlier turn: only OpenAI's models can read it back, so it is not passed on. */
const reasoning = z.looseObject({ type: z.literal('reasoning'), id: text().optional() });

const UNSUPPORTED_ITEM = (type: string) =>
  type === 'item_reference'
    ? 'item references are not supported: send the item itself, or continue with previous_response_id'
    : `items of type "${type}" are not supported: Switchyard runs no hosted tools; it takes messages, function_call, function_call_output and reasoning items`;

/** EasyInputMessage: a message may leave out `type`. */
const withMessageType = (value: unknown) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'message' } : value;

export const inputItem = z.preprocess(withMessageType, supportedKindOf('type', [message, functionCall, functionCallOutput, reasoning], UNSUPPORTED_ITEM));

export const input = z.union([text(), z.array(inputItem, { error: 'must be an array of input items' })], {
  error: 'must be a string or an array of input items',
});

export type InputItem = z.infer<typeof inputItem>;
export type InputPart = z.infer<typeof part>;
