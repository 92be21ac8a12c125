import { type ChatJobPayload, SwitchyardError } from '@app/contracts';
import type { Deployment } from '@app/config';
import type { PreparedChatCall } from '@app/providers';
import { estimatePromptTokens, outputTokenBudget } from '../limits/token-estimate';
import type { JobOperation } from './job-operations';

/** A call in its provider's form, and the tokens it counts against its deployment's `tpm` before it is sent. */
export interface PreparedCall {
  call: PreparedChatCall;
  estimate: number;
  /** The prompt's share of `estimate`, to compare with what the upstream says it read. */
  promptEstimate: number;
}

/**
 * Turns a job's request into its provider's, before the call takes any slot of its deployment.
 * Whatever fails here is the request's doing, whatever the exception: a 400 for its caller
 * (fault `caller`), never counted against the deployment. An exception that is not already a
 * `SwitchyardError` is a mapper that did not expect this shape: `onUnexpected` logs it.
 */
export function prepareCall(
  operation: Pick<JobOperation, 'prepare'>,
  deployment: Deployment,
  payload: ChatJobPayload,
  onUnexpected: (err: unknown) => void,
): PreparedCall {
  try {
    const call = operation.prepare(deployment, payload.request, payload.stream);
    const promptEstimate = estimatePromptTokens(payload.request);
    return { call, estimate: promptEstimate + outputTokenBudget(payload.request), promptEstimate };
  } catch (err) {
    if (err instanceof SwitchyardError) throw err;
    onUnexpected(err);
    throw new SwitchyardError(
      'invalid_request',
      `this request cannot be sent to ${deployment.provider}: one of its fields has a shape the provider does not take`,
    );
  }
}
