import type { Provider } from '@app/contracts';
import { withoutSecrets } from './secret-box';

/** One `model_list` entry, resolved: what a worker needs to call an upstream. */
export interface Deployment {
  /** Stable across processes and restarts: `model_info.id`, or a hash of the entry. */
  id: string;
  /** The name clients send as `model`. Several deployments may share one. */
  modelName: string;
  provider: Provider;
  /** `litellm_params.model` as written: `ollama/gpt-oss:20b`, `gpt-4o-mini`. */
  litellmModel: string;
  /** The model name the upstream knows, without the provider prefix. */
  upstreamModel: string;
  apiBase: string;
  /** Resolved from `os.environ/…` or the literal value. Only workers use it; never log or return it. */
  apiKey?: string;
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
  modelInfo: Record<string, unknown>;
  /** Other `litellm_params`, kept for later features; never sent through the queue. */
  extraParams: Record<string, unknown>;
  /** Where the entry came from, for messages: `config.yaml model_list[1]`. */
  source: string;
}

/**
 * A deployment as API callers may see it, in LiteLLM's `/model/info` shape: `litellm_params`
 * without any secret-named field, `model_info` with its id and where it came from.
 */
export function modelInfoView(d: Deployment, stored: boolean) {
  const params: Record<string, unknown> = {
    model: d.litellmModel,
    api_base: d.apiBase,
    rpm: d.rpm,
    tpm: d.tpm,
    timeout: d.timeoutMs === undefined ? undefined : d.timeoutMs / 1000,
    max_parallel_requests: d.maxParallelRequests,
    num_retries: d.numRetries,
    ...d.extraParams,
  };
  return {
    model_name: d.modelName,
    litellm_params: Object.fromEntries(Object.entries(withoutSecrets(params)).filter(([, v]) => v !== undefined)),
    model_info: { ...d.modelInfo, id: d.id, db_model: stored, provider: d.provider, upstream_model: d.upstreamModel },
  };
}
