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
  const issue = result.error.issues[0];
  const param = paramPath(issue.path);
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const message = missing ? `'${param}' is required` : `invalid value for '${param ?? 'body'}': ${issue.message}`;
  throw new SwitchyardError('invalid_request', message, { param });
}
