import type { Operation } from './backends';
import type { CompletionRequest } from './completion-wire';
import type { EmbeddingRequest } from './embeddings-wire';
import type { ChatCompletion, ChatCompletionRequest, CompletionUsage } from './openai-wire';
import type { WireError } from './switchyard-error';

/**
 * Version of the payload below. Bump it on any incompatible change; workers refuse
 * versions they do not know instead of guessing.
 */
export const CHAT_JOB_VERSION = 2 as const;

/**
 * A model stored in the database, as a worker needs it to call the upstream: secret params
 * sealed (`sy-enc:v1:…`, opened only by the worker with SALT_KEY), `os.environ/` references as
 * written. Config.yaml models are not sent: every worker has config.yaml.
 */
export interface DeploymentSpec {
  id: string;
  /** Changes whenever the model is updated, so a worker may cache what it derived from it. */
  version: string;
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

/** The client's body of each operation: chat, a legacy completion (`prompt`), embeddings (`input`). */
export type OperationRequest = ChatCompletionRequest | CompletionRequest | EmbeddingRequest;

/** What the gateway puts on a provider queue. Never carries a provider secret in plaintext. */
export interface ChatJobPayload {
  v: typeof CHAT_JOB_VERSION;
  /** The job id: unique per call and attempt (fallback attempts add `.f<n>`); not the client's x-request-id. */
  callId: string;
  /** Stable id of a `model_list` entry; the worker resolves its upstream and credentials itself. */
  deploymentId: string;
  /** Set for models stored in the database; config.yaml models are looked up by id. */
  deployment?: DeploymentSpec;
  /** The `model_name` the client asked for; answers carry it back as `model`. */
  modelName: string;
  /** Which operation of the deployment's provider serves the job; absent (gateways before it existed): `chat`. Also the job's name on the queue. */
  operation?: Operation;
  /**
   * For a deployment whose `model_name` is a wildcard (`openai/*`): the upstream model this call
   * goes to (`gpt-4o` for `openai/gpt-4o`). Workers ignore it for any other deployment.
   */
  upstreamModel?: string;
  /** The client's OpenAI-shaped body for the operation, `model` still the client's value; parameters the deployment drops are gone. */
  request: OperationRequest;
  stream: boolean;
  /** Epoch milliseconds after which the job must not be sent upstream. */
  deadline: number;
  enqueuedAt: number;
  /** W3C trace context (`traceparent`, `tracestate`) of the gateway's span, when the gateway traces. */
  trace?: Record<string, string>;
  /**
   * The Redis stream of the gateway process waiting for this job (`<prefix>:inbox:<gatewayId>`):
   * the worker appends the job's stream events, then its outcome, to it (see {@link InboxEntry}).
   * Absent (gateways before it existed): the outcome is only the job's BullMQ return value or
   * failure, and a stream's events go to the call's own stream.
   */
  replyTo?: string;
}

/**
 * One entry of a gateway's inbox, as Redis stream fields: `q` the queue, `c` the call (job) id,
 * `t` what it is, `d` its data. `e`: a {@link ChatStreamEvent} (JSON); `r`: the job's
 * {@link ChatJobResult} (JSON), its last entry; `f`: its failure, encoded by
 * {@link encodeWireError}, its last entry.
 */
export type InboxEntryKind = 'e' | 'r' | 'f';
export interface InboxEntry {
  queue: string;
  callId: string;
  kind: InboxEntryKind;
  data: string;
}

/**
 * The job's return value. A streamed call's answer went through its stream; only usage comes back
 * here. A job with `replyTo` sends its whole result to that inbox; its BullMQ return value then
 * leaves the answer (`completion`) out, so no answer text waits in the queue's event stream.
 * `TAnswer` is the operation's answer: a chat completion, a text completion for `completions`,
 * the embeddings list for `embeddings`.
 */
export interface ChatJobResult<TAnswer = ChatCompletion> {
  v: typeof CHAT_JOB_VERSION;
  /** Set for non-streaming calls. */
  completion?: TAnswer;
  /** Tokens used, where the upstream reported them (for streams: what was generated, even if cancelled). */
  usage?: CompletionUsage | null;
  /** The client went away and the call was stopped. */
  cancelled?: boolean;
  upstreamLatencyMs: number;
  /** Attempts of this job that failed and were retried before this one; unset from workers that do not say. */
  retries?: number;
}

/** BullMQ carries a failure as a string; this is how a worker encodes a {@link WireError} in it. */
export const WIRE_ERROR_PREFIX = 'switchyard-error:';

export function encodeWireError(error: WireError): string {
  return WIRE_ERROR_PREFIX + JSON.stringify(error);
}

export function decodeWireError(reason: string | undefined): WireError | undefined {
  if (!reason?.startsWith(WIRE_ERROR_PREFIX)) return undefined;
  try {
    return JSON.parse(reason.slice(WIRE_ERROR_PREFIX.length)) as WireError;
  } catch {
    return undefined;
  }
}
