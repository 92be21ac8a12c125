import type { ChatCompletionRequest } from './openai-wire';
import { Provider } from './providers';
import { SwitchyardError } from './switchyard-error';

/** What a provider's upstream cannot do, where that can be told from the request alone. */
interface ProviderLimits {
  /** Most choices (`n`) one call may ask for. */
  maxChoices?: number;
}

const LIMITS: Readonly<Record<Provider, ProviderLimits>> = {
  [Provider.OpenAI]: {},
  // Ollama's /api/chat generates one answer per call.
  [Provider.Ollama]: { maxChoices: 1 },
};

/**
 * Why `provider` cannot take this request, if it cannot. The gateway asks before admitting a
 * call (such a call takes no slot and is never queued, and deployments that cannot take it are
 * left out of its plan); the provider's mapper refuses it with the same error.
 */
export function providerRefusal(provider: Provider, request: ChatCompletionRequest): SwitchyardError | undefined {
  const { maxChoices } = LIMITS[provider];
  if (maxChoices !== undefined && typeof request.n === 'number' && request.n > maxChoices) {
    return new SwitchyardError('invalid_request', `${provider} returns at most ${maxChoices} choice${maxChoices === 1 ? '' : 's'} per call; n must be at most ${maxChoices}`, { param: 'n' });
  }
  return undefined;
}
