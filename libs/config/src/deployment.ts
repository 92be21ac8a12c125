import { type Wire, maskUrlsIn } from '@app/contracts';
import { withoutSecrets } from './secret-box';

/** One `model_list` entry, resolved: what a worker needs to call an upstream (an upstream target of `@app/providers`). */
export interface Deployment {
  /** Stable across processes and restarts: `model_info.id`, or a hash of the entry. */
  id: string;
  /** The name clients send as `model`. Several deployments may share one. */
  modelName: string;
  /** The registry's name of its provider: `openai`, `hosted_vllm`, `lm_studio`, `ollama`. */
  provider: string;
  /** The worker app that serves it. */
  wire: Wire;
  /** Its backend, whose queue (`chat-<backend>`) it rides: `model_info.queue`, else its provider's. */
  backend: string;
  /** `litellm_params.model` as written: `ollama/gpt-oss:20b`, `gpt-4o-mini`. */
  litellmModel: string;
  /** The model name the upstream knows, without the provider prefix. */
  upstreamModel: string;
  apiBase: string;
  /** Resolved from `os.environ/…` or the literal value. Only workers hold it; never log or return it. */
  apiKey?: string;
  /**
   * Sent upstream on every call (`extra_headers`, `headers`, OpenAI's `organization`), names in
   * lower case, values resolved. Only workers hold them (empty elsewhere); never log or return them.
   */
  headers: Readonly<Record<string, string>>;
  /**
   * The secret fields of `litellm_params` as the master key may see them: `api_base` with its
   * credentials masked, `organization` and header values as `os.environ/NAME` or `****`.
   */
  shownParams: Readonly<Record<string, unknown>>;
  /** Requests per minute this deployment may receive (after `provider_settings` defaults); unset: no limit. */
  rpm?: number;
  /** Tokens per minute, estimated before a call and corrected by its usage after. */
  tpm?: number;
  /** Deadline of a non-streamed call in milliseconds; unset: REQUEST_TIMEOUT. */
  timeoutMs?: number;
  /** Deadline of a streamed call in milliseconds; unset: `timeoutMs`, then REQUEST_TIMEOUT. */
  streamTimeoutMs?: number;
  /** Calls in flight to this deployment at once, across all workers. */
  maxParallelRequests?: number;
  numRetries?: number;
  /** `drop_params` (the deployment's, else `litellm_settings`'): OpenAI parameters its provider cannot honour are dropped, not refused. */
  dropParams?: boolean;
  /** `additional_drop_params`: top-level request fields never sent to this deployment. */
  additionalDropParams?: readonly string[];
  modelInfo: Record<string, unknown>;
  /** Other `litellm_params`, kept for later features; never sent through the queue. */
  extraParams: Record<string, unknown>;
  /** Where the entry came from, for messages: `config.yaml model_list[1]`. */
  source: string;
}

/** Who asks for a deployment's view: the master key sees its settings, a virtual key only what it may call. */
export type ViewerRole = 'admin' | 'key';

/**
 * A deployment in LiteLLM's `/model/info` shape. Nothing resolved from the environment and no
 * credential is in it: fields that name a secret are left out, `api_base` and header values are
 * masked, URLs anywhere have their credentials masked. A virtual key sees the model and
 * `model_info`; the master key also the `litellm_params`.
 */
export function modelInfoView(d: Deployment, stored: boolean, viewer: ViewerRole) {
  const model_info = { ...shown(d.modelInfo), id: d.id, db_model: stored, provider: d.provider, upstream_model: d.upstreamModel };
  if (viewer === 'key') return { model_name: d.modelName, litellm_params: { model: d.litellmModel }, model_info };
  const params: Record<string, unknown> = {
    model: d.litellmModel,
    rpm: d.rpm,
    tpm: d.tpm,
    timeout: d.timeoutMs === undefined ? undefined : d.timeoutMs / 1000,
    max_parallel_requests: d.maxParallelRequests,
    num_retries: d.numRetries,
    drop_params: d.dropParams || undefined,
    additional_drop_params: d.additionalDropParams?.length ? d.additionalDropParams : undefined,
    ...shown(d.extraParams),
    ...d.shownParams,
  };
  return {
    model_name: d.modelName,
    litellm_params: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)),
    model_info,
  };
}

/** Settings as written, without secret-named fields and with credentials in URLs masked. */
function shown(values: Record<string, unknown>): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return maskUrlsIn(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(withoutSecrets(values)) as Record<string, unknown>;
}
