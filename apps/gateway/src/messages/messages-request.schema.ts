import { z } from 'zod';
import { anyObject, atLeastOne, between, flag, integer, oneKindOf, text } from '../chat/chat-fields.schema';

/**
 * The body of Anthropic's `POST /v1/messages` (and `/v1/messages/count_tokens`), as Anthropic's API
 * reference defines the parts Switchyard translates to chat. Fields not named here (`cache_control`,
 * `citations`, `service_tier`, `anthropic-beta` features) are accepted and ignored: the chat wire
 * has no place for them.
 */

/** Anthropic's rule for tool names. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const toolName = () => text().regex(TOOL_NAME, 'must be 1 to 128 letters, digits, underscores or dashes');

const textBlock = z.looseObject({ type: z.literal('text'), text: text() });
const imageSource = oneKindOf('type', [
  z.looseObject({ type: z.literal('base64'), media_type: text(), data: text() }),
  z.looseObject({ type: z.literal('url'), url: text() }),
]);
const imageBlock = z.looseObject({ type: z.literal('image'), source: imageSource });
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: text(),
  content: z
    .union([z.string(), z.array(oneKindOf('type', [textBlock, imageBlock]))], { error: 'must be a string or an array of text and image blocks' })
    .optional(),
  is_error: flag().optional(),
});
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: text(),
  name: text(),
  input: anyObject(),
});
// The model's reasoning from an earlier turn: accepted in the history, not sent on (see the request mapper).
const thinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: text() });
const redactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: text() });

const content = <const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(blocks: T) =>
  z.union([z.string(), z.array(oneKindOf('type', blocks))], { error: 'must be a string or an array of content blocks' });

export const messageParam = oneKindOf('role', [
  z.looseObject({ role: z.literal('user'), content: content([textBlock, imageBlock, toolResultBlock]) }),
  z.looseObject({ role: z.literal('assistant'), content: content([textBlock, toolUseBlock, thinkingBlock, redactedThinkingBlock]) }),
  z.looseObject({ role: z.literal('system'), content: content([textBlock]) }),
]);

const tool = z
  .looseObject(
    { name: toolName(), description: text().optional(), input_schema: anyObject().optional(), type: text().nullish() },
    { error: 'must be an object' },
  )
  .superRefine((value, ctx) => {
    // Anthropic's server tools (web_search_…, bash_…, text_editor_…) run at Anthropic; no backend of Switchyard's has them.
    if (value.type !== undefined && value.type !== null && value.type !== 'custom') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `"${value.type}" is one of Anthropic's server tools; only custom tools (with input_schema) can be served`,
      });
    } else if (value.input_schema === undefined) {
      ctx.addIssue({ code: 'custom', path: ['input_schema'], message: 'a custom tool needs an input_schema' });
    }
  });

const parallel = { disable_parallel_tool_use: flag().optional() };
export const toolChoice = oneKindOf('type', [
  z.looseObject({ type: z.literal('auto'), ...parallel }),
  z.looseObject({ type: z.literal('any'), ...parallel }),
  z.looseObject({ type: z.literal('tool'), name: text(), ...parallel }),
  z.looseObject({ type: z.literal('none') }),
]);

const fields = {
  model: text().min(1, 'must not be empty'),
  messages: z.array(messageParam, { error: 'must be an array of messages' }).min(1, 'must contain at least one message'),
  system: z.union([z.string(), z.array(textBlock)], { error: 'must be a string or an array of text blocks' }).optional(),
  tools: z.array(tool, { error: 'must be an array of tools' }).optional(),
  tool_choice: toolChoice.optional(),
  // Accepted and not sent on: see the request mapper.
  thinking: z.looseObject({ type: text() }, { error: 'must be an object with a "type"' }).optional(),
};

export const messagesRequestSchema = z.looseObject({
  ...fields,
  max_tokens: atLeastOne(),
  stop_sequences: z.array(text(), { error: 'must be an array of strings' }).optional(),
  stream: flag().optional(),
  temperature: between(0, 1).optional(),
  top_p: between(0, 1).optional(),
  top_k: integer().min(0, 'must be at least 0').optional(),
  metadata: z.looseObject({ user_id: text().nullish() }, { error: 'must be an object' }).optional(),
});

/** `count_tokens` takes what shapes the prompt; no `max_tokens`. */
export const countTokensRequestSchema = z.looseObject(fields);

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type MessageParam = z.infer<typeof messageParam>;
