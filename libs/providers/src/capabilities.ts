import { type ChatCompletionRequest, SwitchyardError } from '@app/contracts';

/** What a provider's upstream cannot do, where that can be told from the request alone. */
export interface ProviderCapabilities {
  /** Most choices (`n`) one call may ask for; unset: no limit. */
  readonly maxChoices?: number;
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
