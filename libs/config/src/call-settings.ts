import { z } from 'zod';
import type { Wire } from '@app/contracts';
import { PROVIDERS } from '@app/providers';
import { routingFieldsSchema } from './router-settings';

const seconds = z.coerce.number().positive();
const perMinute = z.coerce.number().int().positive();
const positiveInt = z.coerce.number().int().positive();
const retries = z.coerce.number().int().min(0);

/** The limits and timings a deployment may set in `litellm_params` (LiteLLM names). */
export const deploymentLimitsSchema = z.object({
  rpm: perMinute.optional(),
  tpm: perMinute.optional(),
  max_parallel_requests: positiveInt.optional(),
  timeout: seconds.optional(),
  stream_timeout: seconds.optional(),
  num_retries: retries.optional(),
});
export type DeploymentLimitFields = z.infer<typeof deploymentLimitsSchema>;

const queueDepth = z.coerce.number().int().min(0);

/**
 * `provider_settings.<provider>`: defaults for every deployment of that provider (or, for a
 * provider without its own section, of its wire: `openai` covers hosted_vllm), plus the queue
 * depth. Switchyard's own section, so an unknown field stops boot instead of a typo being ignored.
 */
const providerSettingsSchema = deploymentLimitsSchema.extend({ max_queue_depth: queueDepth.optional() }).strict();

/** The names `provider_settings` takes: every registry provider (each wire is also a provider's name). */
export const PROVIDER_SETTINGS_NAMES: readonly string[] = PROVIDERS.map((p) => p.name);

export const providerSettingsSectionSchema = z.strictObject(Object.fromEntries(PROVIDER_SETTINGS_NAMES.map((p) => [p, providerSettingsSchema.optional()])));

/**
 * `queue_settings.<backend>`: how many calls of that backend one worker runs at once, and how
 * many its queue may hold. Switchyard's own section; which backend names it takes is checked
 * against the model list ({@link checkQueueSettingsNames}).
 */
const queueSettingsSchema = z.strictObject({ concurrency: z.coerce.number().int().positive().optional(), max_queue_depth: queueDepth.optional() });
export const queueSettingsSectionSchema = z.record(z.string(), queueSettingsSchema);
export type QueueSettings = z.infer<typeof queueSettingsSchema>;

/** The `router_settings` fields Switchyard reads; LiteLLM has many more, reported as not used. */
export const routerSettingsSchema = z.looseObject({
  timeout: seconds.optional(),
  stream_timeout: seconds.optional(),
  num_retries: retries.optional(),
  default_max_parallel_requests: positiveInt.optional(),
  ...routingFieldsSchema.shape,
});

/** A yes/no setting as YAML or an `os.environ/` value writes it (`true`, `"false"`). */
export const flagSchema = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((v) => v.toLowerCase() === 'true')]);

/** The `litellm_settings` fields Switchyard reads. */
export const litellmSettingsSchema = z.looseObject({
  num_retries: retries.optional(),
  request_timeout: seconds.optional(),
  drop_params: flagSchema.optional(),
});

export type ProviderSettings = z.infer<typeof providerSettingsSchema>;

/** Everything in config.yaml outside `model_list` that sets defaults for calls. */
export interface CallDefaults {
  providers: Partial<Record<string, ProviderSettings>>;
  /** `queue_settings`: per backend. */
  queues: Partial<Record<string, QueueSettings>>;
  router: z.infer<typeof routerSettingsSchema>;
  litellm: z.infer<typeof litellmSettingsSchema>;
}

export const NO_CALL_DEFAULTS: CallDefaults = { providers: {}, queues: {}, router: {}, litellm: {} };

/** A provider's `provider_settings` section, else its wire's (`openai` for hosted_vllm), else none. */
export function providerSettingsOf(defaults: CallDefaults, provider: string, wire: Wire): ProviderSettings | undefined {
  return defaults.providers[provider] ?? defaults.providers[wire];
}

/** A deployment's limits and timings after defaults; unset means "no limit" or, for timeouts and retries, the process default. */
export interface CallSettings {
  rpm?: number;
  tpm?: number;
  maxParallelRequests?: number;
  /** Deadline of a non-streamed call, in milliseconds. */
  timeoutMs?: number;
  /** Deadline of a streamed call, in milliseconds. */
  streamTimeoutMs?: number;
  numRetries?: number;
}

/**
 * Applies defaults, most specific first: the deployment's `litellm_params`, then
 * `provider_settings.<provider>` (else `<wire>`), then `router_settings`, then `litellm_settings`. A stream's
 * deadline is the first level's `stream_timeout`, else that level's `timeout`, so a
 * deployment's own `timeout` beats a global `stream_timeout`.
 */
export function resolveCallSettings(own: DeploymentLimitFields, provider: { name: string; wire: Wire }, defaults: CallDefaults): CallSettings {
  const ps = providerSettingsOf(defaults, provider.name, provider.wire) ?? {};
  const rs = defaults.router;
  const ls = defaults.litellm;
  const ms = (s: number | undefined) => (s === undefined ? undefined : Math.round(s * 1000));
  return {
    rpm: own.rpm ?? ps.rpm,
    tpm: own.tpm ?? ps.tpm,
    maxParallelRequests: own.max_parallel_requests ?? ps.max_parallel_requests ?? rs.default_max_parallel_requests,
    timeoutMs: ms(own.timeout ?? ps.timeout ?? rs.timeout ?? ls.request_timeout),
    streamTimeoutMs: ms(own.stream_timeout ?? own.timeout ?? ps.stream_timeout ?? ps.timeout ?? rs.stream_timeout ?? rs.timeout ?? ls.request_timeout),
    numRetries: own.num_retries ?? ps.num_retries ?? rs.num_retries ?? ls.num_retries,
  };
}
