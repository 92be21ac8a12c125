import { z } from 'zod';
import { ENV_REF, isEnvRef } from '@app/contracts';
import {
  type CallDefaults,
  PROVIDER_SETTINGS_NAMES,
  litellmSettingsSchema,
  providerSettingsSectionSchema,
  queueSettingsSectionSchema,
  routerSettingsSchema,
} from './call-settings';
import type { EnvSource } from './env.schema';
import type { EntryProblem } from './model-entry';

/** Sections whose fields set call defaults, queues and routing, and the fields of each that Switchyard reads. */
const SETTINGS_SECTIONS = {
  provider_settings: providerSettingsSectionSchema,
  queue_settings: queueSettingsSectionSchema,
  router_settings: routerSettingsSchema,
  litellm_settings: litellmSettingsSchema,
} as const;
type SectionName = keyof typeof SETTINGS_SECTIONS;

/** Switchyard's own sections: every field in them is read, so an unknown one is an error, not "ignored". */
const OWN_SECTIONS: ReadonlySet<string> = new Set(['provider_settings', 'queue_settings']);

/** Sections of a LiteLLM config that Switchyard reads. Others are reported as ignored. */
export const KNOWN_SECTIONS: ReadonlySet<string> = new Set(['model_list', 'general_settings', ...Object.keys(SETTINGS_SECTIONS)]);

/**
 * Replaces every `os.environ/NAME` string, at any depth, by the variable's value. Used only on
 * settings that are read and never shown (the settings sections' known fields, `master_key`);
 * model entries resolve their secret fields alone (`resolveSecretParams`).
 */
export function resolveEnvRefs(value: unknown, env: EnvSource, path: string, missing: EntryProblem[]): unknown {
  if (isEnvRef(value)) {
    const name = value.slice(ENV_REF.length);
    const resolved = env[name];
    if (resolved === undefined || resolved === '') {
      missing.push({ field: path, message: `environment variable ${name} is not set` });
      return undefined;
    }
    return resolved;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, `${path}[${i}]`, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env, path ? `${path}.${k}` : k, missing)]));
  }
  return value;
}

/** `['fallbacks', 0, 'a']` → `fallbacks[0].a`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** Reads the settings sections; a bad value is a problem naming its field. */
export function parseCallDefaults(doc: Record<string, unknown>, fileLabel: string, env: EnvSource, problems: string[]): CallDefaults {
  const read = <K extends SectionName>(section: K): z.infer<(typeof SETTINGS_SECTIONS)[K]> => {
    const missing: EntryProblem[] = [];
    const resolved = resolveKnownFields(section, doc[section] ?? {}, env, missing);
    problems.push(...missing.map((p) => `${fileLabel} ${p.field}: ${p.message}`));
    const parsed = SETTINGS_SECTIONS[section].safeParse(resolved);
    if (parsed.success) return parsed.data as z.infer<(typeof SETTINGS_SECTIONS)[K]>;
    problems.push(...parsed.error.issues.map((i) => `${fileLabel} ${fieldPath([section, ...i.path])}: ${issueMessage(section, i)}`));
    return {} as z.infer<(typeof SETTINGS_SECTIONS)[K]>;
  };
  return { providers: read('provider_settings'), queues: read('queue_settings'), router: read('router_settings'), litellm: read('litellm_settings') };
}

/**
 * A settings section with `os.environ/` references read in the settings Switchyard reads (numbers,
 * a strategy; not the model names of `fallbacks`); the others (LiteLLM's
 * `redis_password: os.environ/…`, say) stay as written, so an unset variable there stops nothing.
 */
function resolveKnownFields(section: SectionName, value: unknown, env: EnvSource, missing: EntryProblem[]): unknown {
  if (OWN_SECTIONS.has(section)) return resolveEnvRefs(value, env, section, missing);
  if (!isRecord(value)) return value;
  const shape = (SETTINGS_SECTIONS[section] as z.ZodObject).shape;
  const read = (field: string, v: unknown) => field in shape && !Array.isArray(v);
  return Object.fromEntries(Object.entries(value).map(([field, v]) => [field, read(field, v) ? resolveEnvRefs(v, env, `${section}.${field}`, missing) : v]));
}

function issueMessage(section: SectionName, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (known: ${knownFieldsHint(section, issue)})`;
  return issue.message;
}

function knownFieldsHint(section: SectionName, issue: z.core.$ZodIssue): string {
  if (section === 'queue_settings') return 'concurrency, max_queue_depth';
  // provider_settings' top-level fields are provider names; below, the settings of one provider.
  return issue.path.length === 0
    ? PROVIDER_SETTINGS_NAMES.join(', ')
    : 'rpm, tpm, max_parallel_requests, timeout, stream_timeout, num_retries, max_queue_depth';
}

/** What the file sets that Switchyard does not act on: whole sections, or a read section with its unused fields. */
export function ignoredSettings(doc: Record<string, unknown>): string[] {
  const ignored: string[] = [];
  for (const [section, value] of Object.entries(doc)) {
    if (!KNOWN_SECTIONS.has(section)) {
      ignored.push(section);
      continue;
    }
    if (!(section in SETTINGS_SECTIONS) || OWN_SECTIONS.has(section) || !isRecord(value)) continue;
    const shape = (SETTINGS_SECTIONS[section as SectionName] as z.ZodObject).shape;
    const unused = Object.keys(value).filter((field) => !(field in shape));
    if (unused.length) ignored.push(`${section} (${unused.join(', ')})`);
  }
  return ignored;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
