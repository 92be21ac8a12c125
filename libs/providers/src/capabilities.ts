import { type CompletionRequest, type EmbeddingRequest, SwitchyardError, hasTokenInput } from '@app/contracts';

/** What a provider's upstream cannot do, where that can be told from the request alone. */
export interface ProviderCapabilities {
  /** Most choices (`n`) one call may ask for; unset: no limit. */
  readonly maxChoices?: number;
  /** Whether it embeds input given as token ids; unset: it does. */
  readonly tokenInput?: boolean;
  /** What its legacy completions cannot take; unset: all OpenAI's `/v1/completions` takes. */
  readonly completions?: CompletionCapabilities;
  /** The OpenAI chat parameters it honours (`/model_group/info`); unset: all of {@link OPENAI_CHAT_PARAMS}. */
  readonly supportedParams?: readonly string[];
  /** Several tool calls in one answer (`parallel_tool_calls`); unset: yes. */
  readonly parallelToolCalls?: boolean;
}

export interface CompletionCapabilities {
  /** One prompt per call, given as text (not a list of several, not token ids). */
  readonly singleTextPrompt?: boolean;
  /** Fields it cannot honour: a call that sets one (other than to null, false or, for `best_of`, 1) is refused. */
  readonly unsupported?: ReadonlyArray<'echo' | 'logprobs' | 'best_of'>;
}

/** OpenAI's chat completion parameters, as an OpenAI-compatible upstream takes them. */
export const OPENAI_CHAT_PARAMS: readonly string[] = [
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'max_tokens',
  'max_completion_tokens',
  'modalities',
  'n',
  'presence_penalty',
  'reasoning_effort',
  'response_format',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
];

/** An OpenAI parameter of a request that a provider cannot honour, and why. */
export interface UnsupportedParam {
  param: string;
  reason: string;
}

/** The request's OpenAI parameters this provider cannot honour; empty when it can take them all. */
export function unsupportedParams(provider: string, capabilities: ProviderCapabilities, request: { n?: unknown }): UnsupportedParam[] {
  const found: UnsupportedParam[] = [];
  const { maxChoices } = capabilities;
  if (maxChoices !== undefined && typeof request.n === 'number' && request.n > maxChoices) {
    found.push({
      param: 'n',
      reason: `${provider} returns at most ${maxChoices} choice${maxChoices === 1 ? '' : 's'} per call; n must be at most ${maxChoices}`,
    });
  }
  return found;
}

/**
 * Why a provider cannot take this request, if it cannot. The gateway asks before admitting a
 * call (such a call takes no slot and is never queued, and deployments that cannot take it are
 * left out of its plan); the provider's mapper refuses it with the same error. The message names
 * the setting that drops such a parameter instead (`drop_params`).
 */
export function capabilityRefusal(provider: string, capabilities: ProviderCapabilities, request: { n?: unknown }): SwitchyardError | undefined {
  const [first] = unsupportedParams(provider, capabilities, request);
  if (!first) return undefined;
  return new SwitchyardError(
    'invalid_request',
    `${first.reason} (or set drop_params: true, in litellm_settings or the deployment's litellm_params, to drop ${first.param})`,
    { param: first.param },
  );
}

/** The request without the parameters this provider cannot honour (`drop_params`). */
export function withoutUnsupportedParams<T extends { n?: unknown }>(provider: string, capabilities: ProviderCapabilities, request: T): T {
  const unsupported = unsupportedParams(provider, capabilities, request);
  if (unsupported.length === 0) return request;
  const kept: Record<string, unknown> = { ...request };
  for (const { param } of unsupported) delete kept[param];
  return kept as T;
}

/** {@link capabilityRefusal} for a legacy completion: its `n`, its prompt and the fields the provider cannot honour. */
export function completionCapabilityRefusal(provider: string, capabilities: ProviderCapabilities, request: CompletionRequest): SwitchyardError | undefined {
  const choices = capabilityRefusal(provider, capabilities, request);
  if (choices) return choices;
  const { singleTextPrompt, unsupported = [] } = capabilities.completions ?? {};
  if (singleTextPrompt) {
    const { prompt } = request;
    const texts = Array.isArray(prompt) ? prompt : [prompt];
    if (!texts.every((item) => typeof item === 'string')) {
      return new SwitchyardError('invalid_request', `${provider} takes the prompt as text, not as token ids`, { param: 'prompt' });
    }
    if (texts.length !== 1) {
      return new SwitchyardError('invalid_request', `${provider} completes one prompt per call; send each prompt in a call of its own`, { param: 'prompt' });
    }
  }
  for (const field of unsupported) {
    const value = request[field];
    if (value === undefined || value === null || value === false || (field === 'best_of' && value === 1)) continue;
    return new SwitchyardError('invalid_request', `${provider} cannot honour ${field} in a completion; leave it out`, { param: field });
  }
  return undefined;
}

/** {@link capabilityRefusal} for an embeddings request. */
export function embeddingsCapabilityRefusal(provider: string, capabilities: ProviderCapabilities, request: EmbeddingRequest): SwitchyardError | undefined {
  if (capabilities.tokenInput === false && hasTokenInput(request.input)) {
    return new SwitchyardError(
      'invalid_request',
      `${provider} embeds text only: input must be a string or an array of strings, not token ids (send the text, or use a deployment that takes token ids)`,
      { param: 'input' },
    );
  }
  return undefined;
}
