import { isModelPattern, matchModelPattern } from './model-pattern';
import type { ModelRegistry } from './model-registry';

/**
 * Whether a key's `models` list lets it use a model name. An empty list allows every model. An
 * entry allows: the name itself; every name it matches when it has `*` (`openai/*` allows
 * `openai/gpt-4o`); every name served by the wildcard `model_name` it names; every model of the
 * access group it names (`model_info.access_groups`). Nothing else: `gpt-4o` does not allow
 * `openai/gpt-4o-mini`, even when a wildcard would route it.
 */
export function modelAllowed(allowed: readonly string[], name: string, models: ModelRegistry): boolean {
  if (allowed.length === 0 || allowed.includes(name)) return true;
  if (allowed.some((entry) => isModelPattern(entry) && matchModelPattern(entry, name))) return true;
  // A pattern's own name (`/model/info` lists it) or the pattern that serves a concrete name.
  const group = isModelPattern(name) ? name : models.resolve(name)?.group;
  if (group === undefined) return false;
  if (allowed.includes(group)) return true;
  return allowed.some((entry) => models.accessGroup(entry).has(group));
}

/** Names a key's `models` may hold: model names and patterns that exist, names a pattern serves, access groups, and any pattern. */
export function unknownModelEntries(entries: readonly string[], models: ModelRegistry): string[] {
  return entries.filter((m) => !isModelPattern(m) && models.resolve(m) === undefined && models.accessGroup(m).size === 0);
}
