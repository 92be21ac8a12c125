import type { ChatCompletionRequest, CompletionUsage, Operation, SwitchyardError } from '@app/contracts';
import type { Deployment } from '@app/config';
import { PRIORITY } from '@app/queue';
import type { AuthContext } from '../auth/auth-context';
import type { RequestFacts } from '../http/request-facts';
import type { CallReservation } from '../limits/call-reservation';
import type { Attempt } from '../routing/router.service';
import type { CallHints } from './call-hints';

/** Ids of one call: what the client sees, and what the queue and the key's slot use. */
export interface CallIds {
  /** The `x-request-id` the client sees: spend logs and request logs carry it. */
  requestId: string;
  /** Unique per call: the job id (fallback attempts add `.f<n>`) and the per-key slot. */
  callId: string;
  /** What the client asked of this call in LiteLLM's request headers (`callIdsOf` reads them). */
  hints: CallHints;
}

/**
 * What differs between the operations that share the call path (chat, embeddings): how a request is
 * reserved against the key's limits, which deployments cannot take it, how the usage of a
 * stream cut short is estimated, and what of the request a deployment gets.
 */
export interface CallOperation<TRequest extends { model: string }> {
  /** The job's operation: which operation of the deployment's provider the worker runs. */
  readonly name: Operation;
  reserve(plan: readonly Deployment[], request: TRequest): CallReservation;
  /** Why this deployment cannot take the request, if it cannot (the call is then never sent there). */
  refusal(deployment: Deployment, request: TRequest): SwitchyardError | undefined;
  /** Usage of a stream cut short before the upstream reported its own. */
  estimatedUsage(request: TRequest, deliveredChars: number): CompletionUsage;
  /** The request as one deployment's job carries it, where that differs by deployment; unset: the same request for every deployment. */
  requestFor?(deployment: Deployment, request: TRequest): TRequest;
}

/** A validated, authorised call on its way through admission, the queue and the spend log. */
export interface ModelCall<TRequest extends { model: string } = ChatCompletionRequest> extends CallIds {
  auth: AuthContext;
  /** The API the client called (`chat_completions`, `responses`, `messages`, `embeddings`, …): the spend log's `api`. */
  api: string;
  operation: CallOperation<TRequest>;
  /** The OpenAI-shaped request the worker receives; `model` is the name the client asked for. */
  request: TRequest;
  stream: boolean;
  /** Queue priority for traffic that may wait (lower runs sooner); unset for ordinary calls. */
  priority: number | undefined;
  startedAt: number;
  /** What the request's log line will say about the call; filled in as it goes. */
  facts: RequestFacts;
  /** The router's plan, made at admission: deployments to try in order. */
  attempts?: Attempt[];
}

/**
 * Which deployment answered, and how: the answer's x-switchyard-* and LiteLLM's x-litellm-*
 * headers. On a stream they are what is known when the first chunk arrives: no cost (the spend
 * log has it, by `x-litellm-call-id`), retries the worker made only for answers.
 */
export interface Served {
  /** The call's request id: LiteLLM's call id, the spend log row's `request_id`. */
  requestId: string;
  attempt: Attempt;
  /** Attempts made, this one included. */
  attempted: number;
  /** Earlier attempts on the serving model group, and the retries the worker made of this one. */
  retries: number;
  /** Fallback model groups tried, the serving one included when it is one. */
  fallbacks: number;
  /** USD; unset on a stream, whose cost is known only at its end. */
  cost?: number;
  /** Time not spent in the upstream's answer: an answer's time less its upstream call, a stream's time before its job was queued. */
  overheadMs: number;
}

export function servedHeaders(served: Served): Record<string, string> {
  return {
    'x-switchyard-model-id': served.attempt.deployment.id,
    'x-switchyard-model-group': served.attempt.modelGroup,
    'x-switchyard-attempts': String(served.attempted),
    'x-litellm-call-id': served.requestId,
    'x-litellm-model-id': served.attempt.deployment.id,
    'x-litellm-model-group': served.attempt.modelGroup,
    'x-litellm-attempted-retries': String(served.retries),
    'x-litellm-attempted-fallbacks': String(served.fallbacks),
    'x-litellm-overhead-duration-ms': String(Math.max(0, Math.round(served.overheadMs))),
    ...(served.cost === undefined ? {} : { 'x-litellm-response-cost': String(served.cost) }),
  };
}

/**
 * A call's deadline on one deployment, in milliseconds from when it is queued: `stream_timeout`
 * for streams where set, never more than the client's `x-litellm-timeout`.
 */
export function timeoutMs(stream: boolean, deployment: Deployment, defaultMs: number, hints?: CallHints): number {
  const own = (stream ? (deployment.streamTimeoutMs ?? deployment.timeoutMs) : deployment.timeoutMs) ?? defaultMs;
  return hints?.timeoutMs === undefined ? own : Math.min(own, hints.timeoutMs);
}

/**
 * Queue priority marks traffic that may wait behind ordinary calls: the key's
 * `metadata.priority`, and a request's `priority` only where it is no sooner than its key's,
 * so a client cannot jump ahead of what its key was given. Without either, the call is
 * ordinary and goes first. The master key's requests may ask for any priority.
 */
export function jobPriority(auth: AuthContext, requested: number | undefined): number | undefined {
  if (auth.kind === 'master') return requested;
  const own = auth.key.metadata.priority;
  const keyPriority = Number.isInteger(own) && (own as number) >= 0 && (own as number) <= PRIORITY.max ? (own as number) : undefined;
  if (keyPriority === undefined) return requested;
  return Math.max(keyPriority, requested ?? keyPriority);
}
