import Ajv, { type ErrorObject, type JSONSchemaType, type Schema } from 'ajv';

/**
 * Answers checked against what OpenAI's (or Anthropic's) published API specification requires:
 * required fields, types and enums. The SDKs' TypeScript types check nothing at run time, so a
 * shape an SDK would accept in a test may still break a strict client. Each schema lives in a
 * file of its own beside this one, stating the shape it checks and where it comes from; extra
 * fields are allowed, as the specifications allow them.
 */
const ajv = new Ajv({ allErrors: true, strict: false });

export type ShapeSchema = Schema | JSONSchemaType<unknown>;

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('\n');
}

/** Throws, naming every violation, when `value` does not have the shape `schema` requires. */
export function expectShape(schema: ShapeSchema, value: unknown, what = 'answer'): void {
  const validate = ajv.compile(schema);
  if (!validate(value)) throw new Error(`${what} does not match its published shape:\n${describe(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`);
}
