/**
 * Wildcard model names (LiteLLM's "provider specific wildcard routing"): a `model_name` with `*`
 * serves every name it matches, and each `*` of its `litellm_params.model` takes what the
 * `model_name`'s `*` at the same place matched. `openai/*` → `openai/*` forwards `openai/gpt-4o`
 * upstream as `gpt-4o`; `*` matches every name.
 */

/** A `model_name` (or a key's allowed model) with at least one `*`. */
export function isModelPattern(name: string): boolean {
  return name.includes('*');
}

/** How often `*` occurs in a name. */
export function wildcardCount(name: string): number {
  return name.split('*').length - 1;
}

const compiled = new Map<string, RegExp>();

function regexOf(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    // Each `*` matches one or more characters, so `openai/` alone is not a model of `openai/*`.
    const body = pattern
      .split('*')
      .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('(.+)');
    regex = new RegExp(`^${body}$`, 's');
    compiled.set(pattern, regex);
  }
  return regex;
}

/** What each `*` of `pattern` matched in `name`, in order; undefined when it does not match. */
export function matchModelPattern(pattern: string, name: string): string[] | undefined {
  const match = regexOf(pattern).exec(name);
  return match ? match.slice(1) : undefined;
}

/** `pattern` with its `*`s replaced by `captures` in order (`openai/*` + `[gpt-4o]` → `openai/gpt-4o`). */
export function fillModelPattern(pattern: string, captures: readonly string[]): string {
  let i = 0;
  return pattern.replace(/\*/g, () => captures[i++] ?? '*');
}

/**
 * Orders patterns most specific first: the longer literal text before the first `*` wins
 * (`openai/gpt-4*` before `openai/*` before `*`), then the more literal characters overall.
 * Ties keep the order they were written in (the sort is stable).
 */
export function bySpecificity(a: string, b: string): number {
  const prefix = (p: string) => p.indexOf('*');
  const literal = (p: string) => p.length - wildcardCount(p);
  return prefix(b) - prefix(a) || literal(b) - literal(a);
}
