import type { Operation, SwitchyardError, Wire } from '@app/contracts';
import type { ProviderCapabilities } from './capabilities';
import type { ChatOperation } from './chat-operation';
import type { EmbeddingsOperation } from './embeddings-operation';
import type { CompletionsOperation } from './completions-operation';
import type { UpstreamHttpClient } from './http/upstream-http.client';
import type { KnownModels } from './known-models';
import type { UpstreamErrorAnswer } from './http/upstream-error.mapper';
import type { UpstreamAccess, UpstreamTarget } from './upstream-target';

/** What a provider reads of the environment: the values config passes in (providers never read `process.env`). */
export type ProviderEnv = Readonly<Record<string, string | undefined>>;

/** What an operation needs of its provider: the name its messages use, and how it reaches the upstream. */
export interface ProviderUpstream {
  readonly name: string;
  readonly upstream: UpstreamAccess;
  /**
   * The provider's reading of an error answer, over the generic one (`mapped`): what its statuses
   * mean that other upstreams' do not (Ollama's 503 is its queue being full). Absent: `mapped` stands.
   */
  readonly refineError?: (mapped: SwitchyardError, answer: UpstreamErrorAnswer, target: UpstreamTarget) => SwitchyardError;
}

/** Builds a provider's operation for a worker, over the worker's pooled HTTP client. */
export type OperationFactory<T> = (http: UpstreamHttpClient, provider: ProviderUpstream) => T;

/**
 * The operations a provider serves, each built by the folder that owns its wire's mappers.
 * `embeddings` and `completions` take their place here, next to `chat`.
 */
export type ProviderOperations = { readonly [O in Operation]?: OperationFactory<OperationOf[O]> };

/** The interface each operation name stands for. */
export interface OperationOf {
  chat: ChatOperation;
  completions: CompletionsOperation;
  embeddings: EmbeddingsOperation;
}

/**
 * One provider: what a LiteLLM `litellm_params.model` prefix names. Everything Switchyard knows
 * of it is here; the registry lists these, and config, workers and the admin UI read them.
 */
export interface ProviderDescriptor extends ProviderUpstream {
  /** Registry name: `Deployment.provider`, the `provider_settings.<name>` key, the admin UI's choice. */
  readonly name: string;
  /** `litellm_params.model` prefixes that name it: `ollama/llama3`, `ollama_chat/llama3`. */
  readonly prefixes: readonly string[];
  /** A model written without a prefix (`gpt-4o-mini`) is this provider's. Exactly one provider says so. */
  readonly bareModelNames?: boolean;
  /** The worker app that serves it. */
  readonly wire: Wire;
  /** The backend (queue) its deployments ride unless their `model_info.queue` names another. */
  readonly backend: string;
  /** A deployment must write `api_base` (there is no sensible default). */
  readonly needsApiBase: boolean;
  /** The upstream of a deployment that writes no `api_base`; undefined where `needsApiBase`. */
  defaultApiBase(env: ProviderEnv): string | undefined;
  readonly credentials: {
    /** Variable whose value is the key of a deployment that writes no `api_key`. */
    readonly apiKeyEnv?: string;
    /** Header that carries `litellm_params.organization`, for providers that take one. */
    readonly organizationHeader?: string;
    /** Problem of a deployment at the default `api_base` without a key, for providers that need one there. */
    readonly keyRequiredAtDefault?: string;
  };
  readonly operations: ProviderOperations;
  /**
   * Loads a deployment's model so the first call does not wait for it (a deployment's `warm_up:
   * true`, at worker start). Absent: nothing to warm up.
   */
  warmUp?(http: UpstreamHttpClient, provider: ProviderUpstream, target: UpstreamTarget, timeoutMs: number): Promise<void>;
  /** What its upstream cannot do, where the request alone tells. */
  readonly capabilities: ProviderCapabilities;
  /** List prices and maximum output tokens of models it knows; none for local servers. */
  readonly models: KnownModels;
  /**
   * Where its server lists the models it has (Ollama's `/api/tags`), without credentials: what a
   * wildcard deployment (`ollama/*`) shows in `/v1/models`. Unset: the known models' names.
   */
  readonly modelList?: { readonly path: string; readonly names: (body: unknown) => string[] };
  /** The admin UI's model form. */
  readonly ui: { readonly label: string; readonly apiBaseHint: string };
}
