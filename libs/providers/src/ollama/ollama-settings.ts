import { isRecord } from '../is-record';
import type { UpstreamTarget } from '../upstream-target';

/**
 * Ollama's model options (`/api/chat`, `/api/generate`, `/api/embed` `options`) that a deployment
 * may set at the top of its `litellm_params`, as LiteLLM passes them on; any other option goes in
 * `litellm_params.options`.
 */
const OPTION_NAMES = new Set([
  'num_ctx',
  'num_keep',
  'num_batch',
  'num_gpu',
  'main_gpu',
  'num_thread',
  'num_predict',
  'top_k',
  'min_p',
  'typical_p',
  'repeat_last_n',
  'repeat_penalty',
  'mirostat',
  'mirostat_tau',
  'mirostat_eta',
  'penalize_newline',
  'use_mmap',
  'use_mlock',
  'numa',
  'low_vram',
]);

/** What a deployment sets for every call to its Ollama: how long the model stays loaded, and model options. */
export interface OllamaDeploymentSettings {
  keep_alive?: string | number;
  options: Record<string, unknown>;
}

/** The deployment's Ollama settings, from its `litellm_params` (`keep_alive`, `options`, and option names at the top). */
export function ollamaSettings(target: Pick<UpstreamTarget, 'extraParams'>): OllamaDeploymentSettings {
  const params = target.extraParams ?? {};
  const options: Record<string, unknown> = isRecord(params.options) ? { ...params.options } : {};
  for (const [name, value] of Object.entries(params)) if (OPTION_NAMES.has(name) && value !== undefined && value !== null) options[name] = value;
  const keepAlive = params.keep_alive;
  return { keep_alive: typeof keepAlive === 'string' || typeof keepAlive === 'number' ? keepAlive : undefined, options };
}

/**
 * A request body with the deployment's settings: its options are defaults the call's own (from
 * `temperature`, `max_tokens`, …) override, except `num_ctx`, which stays the deployment's:
 * a different context size between calls makes Ollama reload the model.
 */
export function withOllamaSettings<T extends { model: string; options?: object; keep_alive?: string | number }>(
  body: T,
  target: Pick<UpstreamTarget, 'extraParams'>,
): T {
  const { keep_alive, options } = ollamaSettings(target);
  const merged = { ...options, ...body.options };
  if (options.num_ctx !== undefined) (merged as Record<string, unknown>).num_ctx = options.num_ctx;
  const withSettings: T = { ...body };
  if (Object.keys(merged).length) withSettings.options = merged;
  if (keep_alive !== undefined && body.keep_alive === undefined) withSettings.keep_alive = keep_alive;
  return withSettings;
}
