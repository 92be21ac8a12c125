import type { OperationRequest } from '@app/contracts';
import { type Deployment, maxOutputTokensOf, priceOf } from '@app/config';
import { choicesOf, estimatePromptTokens, maxTokensOf } from '@app/queue';

/**
 * What one call holds against its key's `tpm_limit` and `max_budget` from admission until it
 * ends, when its real usage replaces it: the prompt estimate (characters / 4) plus the most the
 * call may generate — `max_completion_tokens` or `max_tokens` times `n`, else the model's
 * maximum output times `n` (a legacy completion: times `n` or `best_of` for each prompt; an
 * embeddings call: nothing, its input only) — priced at the deployment's prices. For a call that
 * may fall back, the most of any deployment in its plan, so no fallback can cost more than was reserved.
 */
export interface CallReservation {
  /** Estimated prompt tokens. */
  promptTokens: number;
  /** The most the call may generate, over all its choices. */
  outputTokens: number;
  /** Whether `outputTokens` comes from the request's own max_tokens (else from the model's maximum). */
  fromRequest: boolean;
  /** promptTokens + outputTokens. */
  tokens: number;
  /** USD. */
  cost: number;
  /** The largest max_tokens with which the call would fit into this much room; 0 when not even 1 would. */
  maxTokensWithin(room: { tokens?: number; cost?: number }): number;
}

/** Slack for floating-point sums of USD, so a call that exactly fills the room fits. */
const USD_SLACK = 1e-9;

export function reserveCall(plan: readonly Deployment[], request: OperationRequest): CallReservation {
  const promptTokens = estimatePromptTokens(request);
  const n = choicesOf(request);
  // An embeddings call generates nothing: its input is all it holds.
  const requested = n === 0 ? 0 : maxTokensOf(request);
  const options = plan.map((d) => ({ price: priceOf(d), perChoice: requested ?? maxOutputTokensOf(d) }));
  const outputTokens = Math.max(...options.map((o) => o.perChoice * n));
  const cost = Math.max(...options.map((o) => promptTokens * o.price.input + o.perChoice * n * o.price.output));
  return {
    promptTokens,
    outputTokens,
    fromRequest: requested !== undefined,
    tokens: promptTokens + outputTokens,
    cost,
    maxTokensWithin(room) {
      if (n === 0) return 0;
      let most = Infinity;
      if (room.tokens !== undefined) most = Math.floor((room.tokens - promptTokens) / n);
      if (room.cost !== undefined) {
        for (const { price } of options) {
          const left = room.cost - promptTokens * price.input + USD_SLACK;
          if (left < 0) return 0;
          if (price.output > 0) most = Math.min(most, Math.floor(left / (price.output * n)));
        }
      }
      return Number.isFinite(most) ? Math.max(0, most) : Number.MAX_SAFE_INTEGER;
    },
  };
}
