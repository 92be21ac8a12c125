import { z } from 'zod';
import { anyObject, flag, name, oneOf, text } from '../chat/chat-fields.schema';
import { supportedKindOf } from './responses-input.schema';

/** `tools`, `tool_choice` and `text` of a Responses API request, in OpenAI's Responses shapes (flat, unlike chat's). */

const HOSTED = (type: string) =>
  `"${type}" tools are not supported: Switchyard passes calls to chat backends, which run no hosted tools; only "function" tools are`;

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: name(),
  description: text().nullish(),
  parameters: anyObject().nullish(),
  strict: flag().nullish(),
});

export const tools = z.array(supportedKindOf('type', [functionTool], HOSTED), { error: 'must be an array of tools' }).max(128, 'at most 128 tools');

const TOOL_CHOICE = 'must be none, auto, required or an object naming a function';
const namedFunction = z.looseObject({ type: z.literal('function'), name: text() });
const allowedTools = z.looseObject({
  type: z.literal('allowed_tools'),
  mode: oneOf(['auto', 'required']),
  tools: z.array(supportedKindOf('type', [namedFunction], HOSTED), { error: 'must be an array of tools' }),
});

export const toolChoice = z.union(
  [
    z.enum(['none', 'auto', 'required'], { error: TOOL_CHOICE }),
    supportedKindOf('type', [namedFunction, allowedTools], (type) => `a tool_choice of type "${type}" is not supported; only function tools are`),
  ],
  { error: TOOL_CHOICE },
);

/** `text.format`: plain text, JSON, or JSON following a schema (chat's `response_format`). */
const format = supportedKindOf(
  'type',
  [
    z.looseObject({ type: z.literal('text') }),
    z.looseObject({ type: z.literal('json_object') }),
    z.looseObject({
      type: z.literal('json_schema'),
      name: name(),
      schema: anyObject(),
      description: text().optional(),
      strict: flag().nullish(),
    }),
  ],
  (type) => `must be one of text, json_object, json_schema, not "${type}"`,
);

export const textOptions = z.looseObject({ format: format.optional(), verbosity: text().nullish() }, { error: 'must be an object' });

export type ResponsesTool = z.infer<typeof functionTool>;
export type ResponsesToolChoice = z.infer<typeof toolChoice>;
export type ResponsesTextOptions = z.infer<typeof textOptions>;
