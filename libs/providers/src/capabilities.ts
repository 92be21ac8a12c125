import { type CompletionRequest, SwitchyardError } from '@app/contracts';

/** What a provider's upstream cannot do, where that can be told from the request alone. */
export interface ProviderCapabilities {
  /** Most choices (`n`) one call may ask for; unset: no limit. */
  readonly maxChoices?: number;
  /** What its legacy completions cannot take; unset: all OpenAI's `/v1/completions` takes. */
  readonly completions?: CompletionCapabilities;
}

export interface CompletionCapabilities {
  /** One prompt per call, given as text (not a list of several, not token ids). */
  readonly singleTextPrompt?: boolean;
  /** Fields it cannot honour: a call that sets one (other than to null, false or, for `best_of`, 1) is refused. */
  readonly unsupported?: ReadonlyArray<'echo' | 'logprobs' | 'best_of'>;
}

/**
 * Why a provider cannot take this request, if it cannot. The gateway asks before admitting a
 * call (such a call takes no slot and is never queued, and deployments that cannot take it are
 * left out of its plan); the provider's mapper refuses it with the same error.
 */
export function capabilityRefusal(provider: string, capabilities: ProviderCapabilities, request: { n?: unknown }): SwitchyardError | undefined {
  const { maxChoices } = capabilities;
  if (maxChoices !== undefined && typeof request.n === 'number' && request.n > maxChoices) {
    return new SwitchyardError(
      'invalid_request',
      `${provider} returns at most ${maxChoices} choice${maxChoices === 1 ? '' : 's'} per call; n must be at most ${maxChoices}`,
      { param: 'n' },
    );
  }
  return undefined;
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
