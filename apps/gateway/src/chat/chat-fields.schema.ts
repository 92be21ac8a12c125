import { z } from 'zod';

/** Field types of the chat request schemas, each with the message a client sees when it is wrong. */

export const text = () => z.string({ error: 'must be a string' });
export const flag = () => z.boolean({ error: 'must be true or false' });
export const integer = () => z.number({ error: 'must be an integer' }).int('must be an integer');
export const between = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);
export const integerBetween = (min: number, max: number) => between(min, max).int('must be an integer');
export const atLeastOne = () => integer().min(1, 'must be at least 1');
/** A JSON object whose fields are the upstream's business (a JSON Schema, web search options). */
export const anyObject = () => z.record(z.string(), z.unknown(), { error: 'must be an object' });

/** OpenAI's rule for the names of functions, custom tools and response schemas. */
export const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const name = () => text().regex(NAME_PATTERN, 'must be 1 to 64 letters, digits, underscores or dashes');

/** One of `values`, saying which when it is not. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** An object of one of several kinds told apart by `field` (`type`, `role`); `param` names that field when it is none of them. */
export function oneKindOf<const T extends readonly [z.ZodObject, ...z.ZodObject[]]>(field: string, kinds: T) {
  const known = kinds.map((kind) => String((kind.shape[field] as z.ZodLiteral).value)).join(', ');
  return z.discriminatedUnion(field, kinds, {
    error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${known}` : issue.code === 'invalid_type' ? 'must be an object' : undefined),
  });
}
