import { Provider } from '@app/contracts';

/** One `model_list` entry, resolved: what a worker needs to call an upstream. */
export interface Deployment {
  /** Stable across processes and restarts: `model_info.id`, or a hash of the entry. */
  id: string;
  /** The name clients send as `model`. Several deployments may share one. */
  modelName: string;
  provider: Provider;
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

/** A deployment as it may be shown to API callers: secrets removed. */
export function publicDeployment(d: Deployment) {
  return {
    id: d.id,
    model_name: d.modelName,
    provider: d.provider,
    model: d.upstreamModel,
    api_base: d.apiBase,
    model_info: d.modelInfo,
  };
}
