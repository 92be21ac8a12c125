import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Provider } from '@app/contracts';
import {
  type CallDefaults,
  NO_CALL_DEFAULTS,
  deploymentLimitsSchema,
  litellmSettingsSchema,
  providerSettingsSectionSchema,
  resolveCallSettings,
  routerSettingsSchema,
} from './call-settings';
import { ConfigError } from './config-error';
import { ENV_REF, isEnvRef } from './credential-mask';
import type { Deployment } from './deployment';
import type { EnvSource } from './env.schema';
import { deploymentHeaders, headerProblems, resolveSecretParams, shownSecretParams } from './secret-params';

const DEFAULT_OPENAI_BASE = 'https://api.openai.com/v1';
const DEFAULT_OLLAMA_BASE = 'http://localhost:11434';

/** `litellm_params.model` prefixes, the provider each one means, and whether it needs an `api_base`. */
const PREFIXES: Record<string, { provider: Provider; needsApiBase: boolean }> = {
  openai: { provider: Provider.OpenAI, needsApiBase: false },
  // OpenAI-compatible servers that LiteLLM users name by their own prefix.
  hosted_vllm: { provider: Provider.OpenAI, needsApiBase: true },
  lm_studio: { provider: Provider.OpenAI, needsApiBase: true },
  ollama: { provider: Provider.Ollama, needsApiBase: false },
  ollama_chat: { provider: Provider.Ollama, needsApiBase: false },
};

/** Header values as YAML or JSON may write them; sent as text. */
const headerMapSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const litellmParamsSchema = z.looseObject({
  model: z.string().min(1),
  api_key: z.string().optional(),
  api_base: z.url().optional(),
  organization: z.string().optional(),
  extra_headers: headerMapSchema.optional(),
  headers: headerMapSchema.optional(),
  ...deploymentLimitsSchema.shape,
});
const entrySchema = z.object({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: z.looseObject({ id: z.string().min(1).optional() }).optional(),
});
const fileSchema = z.looseObject({
  model_list: z.array(z.unknown()).default([]),
  general_settings: z.looseObject({ master_key: z.string().optional() }).optional(),
});

/** Sections whose fields set call defaults and routing, and the fields of each that Switchyard reads. */
const SETTINGS_SECTIONS = {
  provider_settings: providerSettingsSectionSchema,
  router_settings: routerSettingsSchema,
  litellm_settings: litellmSettingsSchema,
} as const;

/** Sections of a LiteLLM config that Switchyard reads. Others are reported as ignored. */
const KNOWN_SECTIONS = new Set(['model_list', 'general_settings', ...Object.keys(SETTINGS_SECTIONS)]);

export interface ModelConfig {
  deployments: Deployment[];
  /** `general_settings.master_key`, when the file sets one. */
  masterKey?: string;
  /** `provider_settings`, `router_settings` and `litellm_settings`: call defaults and routing. */
  defaults: CallDefaults;
  /**
   * What the file sets that Switchyard does not act on yet: whole sections (`environment_variables`),
   * or a read section with its unused fields (`router_settings (enable_pre_call_checks)`).
   */
  ignoredSections: string[];
}

/**
 * Replaces every `os.environ/NAME` string, at any depth, by the variable's value. Used only on
 * settings that are read and never shown (the settings sections' known fields, `master_key`);
 * model entries resolve their secret fields alone ({@link resolveSecretParams}).
 */
function resolveEnvRefs(value: unknown, env: EnvSource, path: string, missing: EntryProblem[]): unknown {
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
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnvRefs(v, env, path ? `${path}.${k}` : k, missing)]),
    );
  }
  return value;
}

type ProviderOf = { provider: Provider; upstreamModel: string; prefix: string | null; needsApiBase: boolean };

/** `ollama/llama3` → Ollama, `llama3`; a bare name such as `gpt-4o-mini` is OpenAI. */
export function providerOf(model: string): ProviderOf | { unknownPrefix: string } {
  const slash = model.indexOf('/');
  if (slash === -1) return { provider: Provider.OpenAI, upstreamModel: model, prefix: null, needsApiBase: false };
  const prefix = model.slice(0, slash);
  const known = PREFIXES[prefix];
  if (!known) return { unknownPrefix: prefix };
  return { ...known, upstreamModel: model.slice(slash + 1), prefix };
}

function deploymentId(entry: unknown): string {
  // Hash of the entry as written (os.environ/ references, not their values): identical in every process.
  return createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 16);
}

export interface LoadModelConfigOptions {
  env: EnvSource;
  /**
   * Providers whose deployments this process calls: only for them are `api_key`, `organization`
   * and header values read (and a missing `os.environ/` variable there stops the process);
   * `api_base` is read by every process.
   */
  needsSecretsOf: Provider[];
  /** Defaults from the file's settings sections; stored models get the same ones. */
  defaults?: CallDefaults;
}

export interface EntryProblem {
  /** Path inside the entry: `litellm_params.api_base`. */
  field: string;
  message: string;
}

/**
 * One `model_list` entry (from config.yaml or the database) → a deployment, or the problems
 * that stop it. `source` names the entry in later messages.
 */
export function parseModelEntry(raw: unknown, source: string, options: LoadModelConfigOptions): { deployment?: Deployment; problems: EntryProblem[] } {
  const written = isRecord(raw) && isRecord(raw.litellm_params) ? raw.litellm_params : undefined;
  const writtenKind = typeof written?.model === 'string' ? providerOf(written.model) : undefined;
  const needsSecrets = writtenKind !== undefined && 'provider' in writtenKind && options.needsSecretsOf.includes(writtenKind.provider);
  const missing: EntryProblem[] = [];
  const params = written && resolveSecretParams(written, options.env, needsSecrets, missing);
  const entry = entrySchema.safeParse(params ? { ...(raw as object), litellm_params: params } : raw);
  if (!entry.success) {
    return { problems: entry.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
  }
  const { model_name, litellm_params, model_info } = entry.data;
  const kind = providerOf(litellm_params.model);
  if ('unknownPrefix' in kind) {
    const message = `provider "${kind.unknownPrefix}" is not supported (use one of: ${Object.keys(PREFIXES).join(', ')}, or no prefix for OpenAI)`;
    return { problems: [{ field: 'litellm_params.model', message }] };
  }
  const problems: EntryProblem[] = [...missing, ...headerProblems('headers', litellm_params.headers), ...headerProblems('extra_headers', litellm_params.extra_headers)];
  const missingKey = missing.some((p) => p.field === 'litellm_params.api_key');
  if (kind.needsApiBase && !litellm_params.api_base) {
    problems.push({ field: 'litellm_params.api_base', message: `required for ${kind.prefix}/ models` });
  }
  const { model: _model, api_key, api_base, organization, headers, extra_headers, rpm, tpm, timeout, stream_timeout, max_parallel_requests, num_retries, ...extraParams } = litellm_params;
  // Only a process that calls this deployment holds its credentials.
  const apiKey = needsSecrets ? (api_key ?? (kind.provider === Provider.OpenAI ? options.env.OPENAI_API_KEY || undefined : undefined)) : undefined;
  if (needsSecrets && kind.provider === Provider.OpenAI && !apiKey && !api_base && !missingKey) {
    problems.push({ field: 'litellm_params.api_key', message: 'no key for api.openai.com (set api_key or OPENAI_API_KEY)' });
  }
  if (problems.length) return { problems };
  const openaiBase = options.env.OPENAI_API_BASE || DEFAULT_OPENAI_BASE;
  const apiBase = (api_base ?? (kind.provider === Provider.Ollama ? DEFAULT_OLLAMA_BASE : openaiBase)).replace(/\/+$/, '');
  return {
    problems,
    deployment: {
      id: model_info?.id ?? deploymentId(raw),
      modelName: model_name,
      provider: kind.provider,
      litellmModel: litellm_params.model,
      upstreamModel: kind.upstreamModel,
      apiBase,
      apiKey,
      headers: needsSecrets ? deploymentHeaders(kind.provider, organization, [headers, extra_headers]) : {},
      shownParams: shownSecretParams(written ?? {}, apiBase),
      ...resolveCallSettings({ rpm, tpm, timeout, stream_timeout, max_parallel_requests, num_retries }, kind.provider, options.defaults ?? NO_CALL_DEFAULTS),
      modelInfo: model_info ?? {},
      extraParams,
      source,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseModelConfig(text: string, fileLabel: string, options: LoadModelConfigOptions): ModelConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`${fileLabel}: not valid YAML: ${(err as Error).message}`]);
  }
  const file = fileSchema.safeParse(doc);
  if (!file.success) {
    throw new ConfigError(file.error.issues.map((i) => `${fileLabel} ${i.path.join('.') || '(root)'}: ${i.message}`));
  }

  const problems: string[] = [];
  const defaults = parseCallDefaults(file.data, fileLabel, options.env, problems);
  const deployments: Deployment[] = [];
  file.data.model_list.forEach((raw, index) => {
    const where = `${fileLabel} model_list[${index}]`;
    const parsed = parseModelEntry(raw, where, { ...options, defaults });
    problems.push(...parsed.problems.map((p) => `${where}.${p.field}: ${p.message}`));
    if (parsed.deployment) deployments.push(parsed.deployment);
  });

  const seen = new Map<string, string>();
  for (const d of deployments) {
    const other = seen.get(d.id);
    if (other) problems.push(`${d.source}.model_info.id: "${d.id}" is also used by ${other}`);
    seen.set(d.id, d.source);
  }
  if (problems.length) throw new ConfigError(problems);

  // The one general setting Switchyard reads; the others stay as written.
  const masterKey = resolveEnvRefs(file.data.general_settings?.master_key, options.env, 'general_settings.master_key', []) as string | undefined;
  return { deployments, masterKey, defaults, ignoredSections: ignoredSettings(file.data) };
}

/** `['fallbacks', 0, 'a']` → `fallbacks[0].a`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** Reads the settings sections; a bad value is a problem naming its field. */
function parseCallDefaults(doc: Record<string, unknown>, fileLabel: string, env: EnvSource, problems: string[]): CallDefaults {
  const read = <K extends keyof typeof SETTINGS_SECTIONS>(section: K): z.infer<(typeof SETTINGS_SECTIONS)[K]> => {
    const missing: EntryProblem[] = [];
    const resolved = resolveKnownFields(doc[section] ?? {}, SETTINGS_SECTIONS[section], env, section, missing);
    problems.push(...missing.map((p) => `${fileLabel} ${p.field}: ${p.message}`));
    const parsed = SETTINGS_SECTIONS[section].safeParse(resolved);
    if (parsed.success) return parsed.data as z.infer<(typeof SETTINGS_SECTIONS)[K]>;
    problems.push(...parsed.error.issues.map((i) => `${fileLabel} ${fieldPath([section, ...i.path])}: ${issueMessage(i)}`));
    return {} as z.infer<(typeof SETTINGS_SECTIONS)[K]>;
  };
  return { providers: read('provider_settings'), router: read('router_settings'), litellm: read('litellm_settings') };
}

/**
 * A settings section with `os.environ/` references read in the settings Switchyard reads (numbers,
 * a strategy; not the model names of `fallbacks`); the others (LiteLLM's
 * `redis_password: os.environ/…`, say) stay as written, so an unset variable there stops nothing.
 */
function resolveKnownFields(section: unknown, schema: z.ZodObject, env: EnvSource, path: string, missing: EntryProblem[]): unknown {
  if (!isRecord(section)) return section;
  const read = (field: string, value: unknown) => field in schema.shape && !Array.isArray(value);
  return Object.fromEntries(
    Object.entries(section).map(([field, value]) => [field, read(field, value) ? resolveEnvRefs(value, env, `${path}.${field}`, missing) : value]),
  );
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (known: ${knownFieldsHint(issue)})`;
  return issue.message;
}

function knownFieldsHint(issue: z.core.$ZodIssue): string {
  // At the section's top level the fields are provider names; below, the settings of one provider.
  return issue.path.length === 0 ? Object.values(Provider).join(', ') : 'rpm, tpm, max_parallel_requests, timeout, stream_timeout, num_retries, max_queue_depth';
}

function ignoredSettings(doc: Record<string, unknown>): string[] {
  const ignored: string[] = [];
  for (const [section, value] of Object.entries(doc)) {
    if (!KNOWN_SECTIONS.has(section)) {
      ignored.push(section);
      continue;
    }
    const schema = SETTINGS_SECTIONS[section as keyof typeof SETTINGS_SECTIONS];
    if (!schema || section === 'provider_settings' || !value || typeof value !== 'object') continue;
    const unused = Object.keys(value).filter((field) => !(field in schema.shape));
    if (unused.length) ignored.push(`${section} (${unused.join(', ')})`);
  }
  return ignored;
}

export function loadModelConfig(path: string, options: LoadModelConfigOptions): ModelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([`CONFIG_FILE ${path}: ${reason} (create it, or point CONFIG_FILE at your LiteLLM config.yaml)`]);
  }
  return parseModelConfig(text, path, options);
}
