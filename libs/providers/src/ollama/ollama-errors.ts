import { SwitchyardError } from '@app/contracts';
import type { UpstreamErrorAnswer } from '../http/upstream-error.mapper';
import type { UpstreamTarget } from '../upstream-target';

/** Ollama's words when its queue is full ("server busy, please try again.  maximum pending requests exceeded"). */
const BUSY = /server busy|maximum pending requests/i;

/** How long a deployment pauses after Ollama said it is busy, when it said no more. */
export const OLLAMA_BUSY_PAUSE_MS = 1_000;

/**
 * What Ollama's error answers mean beyond the generic reading:
 * - 503 "server busy" is Ollama's own queue being full (`OLLAMA_MAX_QUEUE`): backpressure, not a
 *   failure. The worker pauses the deployment briefly and the call waits and retries within its
 *   deadline, spending no attempt; should the deadline pass, the 429 is the backend's capacity
 *   (another deployment may serve the call) and never counts towards the deployment's cooldown.
 * - 404 for a model the server does not have: the message says how to get it (`ollama pull`), and
 *   it is the deployment's fault (another deployment may have the model), not the caller's.
 */
export function refineOllamaError(mapped: SwitchyardError, answer: UpstreamErrorAnswer, target: UpstreamTarget): SwitchyardError {
  if (answer.status === 503 && BUSY.test(answer.body)) {
    return new SwitchyardError('rate_limit_exceeded', `${answer.provider} upstream is busy (its queue is full); the call waited for it until its deadline`, {
      retryable: true,
      retryAfterMs: mapped.retryAfterMs ?? OLLAMA_BUSY_PAUSE_MS,
      fault: 'capacity',
      upstreamStatus: 503,
    });
  }
  if (answer.status === 404 && /not found/i.test(mapped.message)) {
    const model = target.upstreamModel;
    return new SwitchyardError('model_not_found', `${answer.provider} upstream has no model "${model}": run \`ollama pull ${model}\` on the Ollama server`, {
      fault: 'deployment',
      upstreamStatus: 404,
    });
  }
  // Any other 503 (a proxy in front, a server stopping) stays an unavailable upstream, retried as such.
  return mapped;
}
