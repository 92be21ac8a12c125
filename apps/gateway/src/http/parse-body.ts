import type { z } from 'zod';
import { SwitchyardError } from '@app/contracts';

/** `['messages', 0, 'role']` → `messages[0].role`, the form OpenAI uses in `param`. */
export function paramPath(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** Validates a JSON body; the first problem becomes a 400 naming the field. Nothing is changed on failure. */
export function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SwitchyardError('invalid_request', 'request body must be a JSON object');
  }
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = closestIssue(result.error.issues[0]);
  const param = paramPath(issue.path);
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined;
  const message = missing ? `'${param}' is required` : `invalid value for '${param ?? 'body'}': ${issue.message}`;
  throw new SwitchyardError('invalid_request', message, { param });
}

/**
 * For a value that fits none of a union's shapes, the problem inside a shape whose type it has
 * (`stop[1]`, `tool_choice.function.name`, the deepest such one); the union's own message (e.g.
 * "must be a string or an array of content parts") when it has none of their types.
 */
function closestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  let closest: z.core.$ZodIssue | undefined;
  for (const [first] of issue.errors) {
    const wrongType = first === undefined || (first.code === 'invalid_type' && first.path.length === 0);
    if (!wrongType && (!closest || first.path.length > closest.path.length)) closest = first;
  }
  return closest ? closestIssue({ ...closest, path: [...issue.path, ...closest.path] }) : issue;
}
