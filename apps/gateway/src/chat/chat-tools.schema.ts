import { z } from 'zod';
import { anyObject, flag, name, oneKindOf, oneOf, text } from './chat-fields.schema';

/** `tools`, `tool_choice`, `response_format` and the deprecated `functions`/`function_call` of an OpenAI chat request. */

const functionDefinition = z.looseObject(
  { name: name(), description: text().optional(), parameters: anyObject().optional(), strict: flag().nullish() },
  { error: 'must be an object with a "name"' },
);
const functionTool = z.looseObject({ type: z.literal('function'), function: functionDefinition });
const customTool = z.looseObject({
  type: z.literal('custom'),
  custom: z.looseObject({ name: name(), description: text().optional(), format: anyObject().optional() }, { error: 'must be an object with a "name"' }),
});

export const tools = z.array(oneKindOf('type', [functionTool, customTool]), { error: 'must be an array of tools' }).max(128, 'at most 128 tools');

const named = z.looseObject({ name: text() }, { error: 'must be an object with a "name"' });
const TOOL_CHOICE = 'must be none, auto, required or an object naming a tool';
export const toolChoice = z.union(
  [
    z.enum(['none', 'auto', 'required'], { error: TOOL_CHOICE }),
    oneKindOf('type', [
      z.looseObject({ type: z.literal('function'), function: named }),
      z.looseObject({ type: z.literal('custom'), custom: named }),
      z.looseObject({
        type: z.literal('allowed_tools'),
        allowed_tools: z.looseObject(
          { mode: oneOf(['auto', 'required']), tools: z.array(anyObject(), { error: 'must be an array of tools' }) },
          { error: 'must be an object with "mode" and "tools"' },
        ),
      }),
    ]),
  ],
  { error: TOOL_CHOICE },
);

export const responseFormat = oneKindOf('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject(
      { name: name(), description: text().optional(), schema: anyObject().optional(), strict: flag().nullish() },
      { error: 'must be an object with a "name"' },
    ),
  }),
]);

/** Deprecated by OpenAI in favour of `tools` and `tool_choice`; still accepted there. */
export const functions = z
  .array(z.looseObject({ name: name(), description: text().optional(), parameters: anyObject().optional() }, { error: 'must be an object with a "name"' }), {
    error: 'must be an array of functions',
  })
  .min(1, 'must contain at least one function')
  .max(128, 'at most 128 functions');
const FUNCTION_CALL = 'must be none, auto or an object naming a function';
export const functionCall = z.union([z.enum(['none', 'auto'], { error: FUNCTION_CALL }), named], { error: FUNCTION_CALL });
