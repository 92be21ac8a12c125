import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Provider } from '@app/contracts';
import { ConfigError } from './config-error';
import type { Deployment } from './deployment';
import type { EnvSource } from './env.schema';
import { type RouterSettings, parseRouterSettings } from './router-settings';

const ENV_REF = 'os.environ/';
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

const numeric = z.coerce.number().positive();
const litellmParamsSchema = z.looseObject({
  model: z.string().min(1),
  api_key: z.string().optional(),
  api_base: z.url().optional(),
  rpm: numeric.optional(),
  tpm: numeric.optional(),
  timeout: numeric.optional(),
  max_parallel_requests: z.coerce.number().int().positive().optional(),
  num_retries: z.coerce.number().int().min(0).optional(),
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

/** Sections of a LiteLLM config that Switchyard reads. Others are reported as ignored. */
const KNOWN_SECTIONS = new Set(['model_list', 'general_settings', 'router_settings']);

export interface ModelConfig {
  deployments: Deployment[];
  /** `general_settings.master_key`, when the file sets one. */
  masterKey?: string;
  router: RouterSettings;
  /** Top-level sections present in the file that Switchyard does not act on yet. */
  ignoredSections: string[];
}

/** Replaces every `os.environ/NAME` string, at any depth, by the variable's value. */
function resolveEnvRefs(value: unknown, env: EnvSource, path: string, missing: EntryProblem[]): unknown {
  if (typeof value === 'string' && value.startsWith(ENV_REF)) {
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
   * Providers whose secrets this process needs. A missing `os.environ/` variable in an
   * `api_key` only stops processes that will call that provider; any other missing one stops all.
   */
  needsSecretsOf: Provider[];
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
  const problems: EntryProblem[] = [];
  const missing: EntryProblem[] = [];
  const resolved = resolveEnvRefs(raw, options.env, '', missing);
  const entry = entrySchema.safeParse(resolved);
  if (!entry.success) {
    return { problems: entry.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
  }
  const { model_name, litellm_params, model_info } = entry.data;
  const kind = providerOf(litellm_params.model);
  if ('unknownPrefix' in kind) {
    const message = `provider "${kind.unknownPrefix}" is not supported (use one of: ${Object.keys(PREFIXES).join(', ')}, or no prefix for OpenAI)`;
    return { problems: [{ field: 'litellm_params.model', message }] };
  }
  const needsSecrets = options.needsSecretsOf.includes(kind.provider);
  const missingKey = missing.some((p) => p.field === 'litellm_params.api_key');
  for (const problem of missing) {
    if (needsSecrets || problem.field !== 'litellm_params.api_key') problems.push(problem);
  }
  if (kind.needsApiBase && !litellm_params.api_base) {
    problems.push({ field: 'litellm_params.api_base', message: `required for ${kind.prefix}/ models` });
  }
  const { model: _model, api_key, api_base, rpm, tpm, timeout, max_parallel_requests, num_retries, ...extraParams } = litellm_params;
  const apiKey = api_key ?? (kind.provider === Provider.OpenAI ? options.env.OPENAI_API_KEY || undefined : undefined);
  if (needsSecrets && kind.provider === Provider.OpenAI && !apiKey && !api_base && !missingKey) {
    problems.push({ field: 'litellm_params.api_key', message: 'no key for api.openai.com (set api_key or OPENAI_API_KEY)' });
  }
  if (problems.length) return { problems };
  const openaiBase = options.env.OPENAI_API_BASE || DEFAULT_OPENAI_BASE;
  return {
    problems,
    deployment: {
      id: model_info?.id ?? deploymentId(raw),
      modelName: model_name,
      provider: kind.provider,
      litellmModel: litellm_params.model,
      upstreamModel: kind.upstreamModel,
      apiBase: (api_base ?? (kind.provider === Provider.Ollama ? DEFAULT_OLLAMA_BASE : openaiBase)).replace(/\/+$/, ''),
      apiKey,
      rpm,
      tpm,
      timeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000),
      maxParallelRequests: max_parallel_requests,
      numRetries: num_retries,
      modelInfo: model_info ?? {},
      extraParams,
      source,
    },
  };
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
  const deployments: Deployment[] = [];
  file.data.model_list.forEach((raw, index) => {
    const where = `${fileLabel} model_list[${index}]`;
    const parsed = parseModelEntry(raw, where, options);
    problems.push(...parsed.problems.map((p) => `${where}.${p.field}: ${p.message}`));
    if (parsed.deployment) deployments.push(parsed.deployment);
  });

  const seen = new Map<string, string>();
  for (const d of deployments) {
    const other = seen.get(d.id);
    if (other) problems.push(`${d.source}.model_info.id: "${d.id}" is also used by ${other}`);
    seen.set(d.id, d.source);
  }
  const router = parseRouterSettings(file.data.router_settings);
  problems.push(...router.problems.map((p) => `${fileLabel} ${p}`));
  if (problems.length) throw new ConfigError(problems);

  const general = resolveEnvRefs(file.data.general_settings ?? {}, options.env, 'general_settings', []) as {
    master_key?: string;
  };
  return {
    deployments,
    masterKey: general.master_key,
    router: router.settings,
    ignoredSections: Object.keys(file.data).filter((k) => !KNOWN_SECTIONS.has(k)),
  };
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
