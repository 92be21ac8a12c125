import { type ChatCompletionRequest, type EmbeddingRequest, SwitchyardError, hasTokenInput } from '@app/contracts';

/** What a provider's upstream cannot do, where that can be told from the request alone. */
export interface ProviderCapabilities {
  /** Most choices (`n`) one call may ask for; unset: no limit. */
  readonly maxChoices?: number;
  /** Whether it embeds input given as token ids; unset: it does. */
  readonly tokenInput?: boolean;
}

/**
 * Why a provider cannot take this request, if it cannot. The gateway asks before admitting a
 * call (such a call takes no slot and is never queued, and deployments that cannot take it are
 * left out of its plan); the provider's mapper refuses it with the same error.
 */
export function capabilityRefusal(provider: string, capabilities: ProviderCapabilities, request: ChatCompletionRequest): SwitchyardError | undefined {
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
