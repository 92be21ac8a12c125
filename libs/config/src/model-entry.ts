import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BACKEND_NAME, BACKEND_NAME_RULE, type Wire } from '@app/contracts';
import { knownPrefixes, providerForModel, wireOfDefaultBackend } from '@app/providers';
import { type CallDefaults, NO_CALL_DEFAULTS, deploymentLimitsSchema, flagSchema, resolveCallSettings } from './call-settings';
import type { Deployment } from './deployment';
import type { EnvSource } from './env.schema';
import { wildcardCount } from './model-pattern';
import { deploymentHeaders, headerProblems, resolveSecretParams, shownSecretParams } from './secret-params';

/** Header values as YAML or JSON may write them; sent as text. */
const headerMapSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const litellmParamsSchema = z.looseObject({
  model: z.string().min(1),
  api_key: z.string().optional(),
  api_base: z.url().optional(),
  organization: z.string().optional(),
  extra_headers: headerMapSchema.optional(),
  headers: headerMapSchema.optional(),
  drop_params: flagSchema.optional(),
  additional_drop_params: z.array(z.string().min(1)).optional(),
  ...deploymentLimitsSchema.shape,
});
const entrySchema = z.object({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: z
    .looseObject({
      id: z.string().min(1).optional(),
      // Switchyard's: a backend of its own for this deployment (a queue, a worker pool, a concurrency).
      queue: z.string().regex(BACKEND_NAME, `must be a backend name: ${BACKEND_NAME_RULE} characters`).optional(),
      access_groups: z.array(z.string().min(1)).optional(),
      mode: z.string().min(1).optional(),
    })
    .optional(),
});

export interface LoadModelConfigOptions {
  env: EnvSource;
  /**
   * Wires whose deployments this process calls: only for them are `api_key`, `organization`
   * and header values read (and a missing `os.environ/` variable there stops the process);
   * `api_base` is read by every process.
   */
  needsSecretsOf: Wire[];
  /** Defaults from the file's settings sections; stored models get the same ones. */
  defaults?: CallDefaults;
}

export interface EntryProblem {
  /** Path inside the entry: `litellm_params.api_base`. */
  field: string;
  message: string;
}

function deploymentId(entry: unknown): string {
  // Hash of the entry as written (os.environ/ references, not their values): identical in every process.
  return createHash('sha256').update(JSON.stringify(entry)).digest('hex').slice(0, 16);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One `model_list` entry (from config.yaml or the database) → a deployment, or the problems
 * that stop it. `source` names the entry in later messages.
 */
export function parseModelEntry(raw: unknown, source: string, options: LoadModelConfigOptions): { deployment?: Deployment; problems: EntryProblem[] } {
  const written = isRecord(raw) && isRecord(raw.litellm_params) ? raw.litellm_params : undefined;
  const writtenKind = typeof written?.model === 'string' ? providerForModel(written.model) : undefined;
  const needsSecrets = writtenKind !== undefined && 'provider' in writtenKind && options.needsSecretsOf.includes(writtenKind.provider.wire);
  const missing: EntryProblem[] = [];
  const params = written && resolveSecretParams(written, options.env, needsSecrets, missing);
  const entry = entrySchema.safeParse(params ? { ...(raw as object), litellm_params: params } : raw);
  if (!entry.success) {
    return { problems: entry.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) };
  }
  const { model_name, litellm_params, model_info } = entry.data;
  const kind = providerForModel(litellm_params.model);
  if ('unknownPrefix' in kind) {
    const message = `provider "${kind.unknownPrefix}" is not supported (use one of: ${knownPrefixes().join(', ')}, or no prefix for OpenAI)`;
    return { problems: [{ field: 'litellm_params.model', message }] };
  }
  const { provider } = kind;
  const problems: EntryProblem[] = [
    ...missing,
    ...headerProblems('headers', litellm_params.headers),
    ...headerProblems('extra_headers', litellm_params.extra_headers),
  ];
  const missingKey = missing.some((p) => p.field === 'litellm_params.api_key');
  if (provider.needsApiBase && !litellm_params.api_base) {
    problems.push({ field: 'litellm_params.api_base', message: `required for ${kind.prefix}/ models` });
  }
  if (wildcardCount(litellm_params.model) > wildcardCount(model_name)) {
    problems.push({
      field: 'litellm_params.model',
      message: `has more "*" than model_name "${model_name}": each "*" takes what one "*" of model_name matched`,
    });
  }
  const backend = model_info?.queue ?? provider.backend;
  const backendWire = wireOfDefaultBackend(backend);
  if (backendWire && backendWire !== provider.wire) {
    problems.push({
      field: 'model_info.queue',
      message: `${backend} is the queue of ${backendWire} deployments; a ${provider.name} deployment is served by worker-${provider.wire}`,
    });
  }
  const {
    model: _model,
    api_key,
    api_base,
    organization,
    headers,
    extra_headers,
    rpm,
    tpm,
    timeout,
    stream_timeout,
    max_parallel_requests,
    num_retries,
    drop_params,
    additional_drop_params,
    ...extraParams
  } = litellm_params;
  const { apiKeyEnv, organizationHeader, keyRequiredAtDefault } = provider.credentials;
  // Only a process that calls this deployment holds its credentials.
  const apiKey = needsSecrets ? (api_key ?? (apiKeyEnv ? options.env[apiKeyEnv] || undefined : undefined)) : undefined;
  if (needsSecrets && keyRequiredAtDefault && !apiKey && !api_base && !missingKey) {
    problems.push({ field: 'litellm_params.api_key', message: keyRequiredAtDefault });
  }
  if (problems.length) return { problems };
  const apiBase = (api_base ?? provider.defaultApiBase(options.env) ?? '').replace(/\/+$/, '');
  return {
    problems,
    deployment: {
      id: model_info?.id ?? deploymentId(raw),
      modelName: model_name,
      provider: provider.name,
      wire: provider.wire,
      backend,
      litellmModel: litellm_params.model,
      upstreamModel: kind.upstreamModel,
      apiBase,
      apiKey,
      headers: needsSecrets ? deploymentHeaders(organizationHeader, organization, [headers, extra_headers]) : {},
      shownParams: shownSecretParams(written ?? {}, apiBase),
      ...resolveCallSettings({ rpm, tpm, timeout, stream_timeout, max_parallel_requests, num_retries }, provider, options.defaults ?? NO_CALL_DEFAULTS),
      dropParams: drop_params ?? options.defaults?.litellm.drop_params ?? false,
      additionalDropParams: additional_drop_params ?? [],
      modelInfo: model_info ?? {},
      extraParams,
      source,
    },
  };
}
