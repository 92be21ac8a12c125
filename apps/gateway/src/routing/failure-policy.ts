import type { SwitchyardError } from '@app/contracts';

/**
 * What a failed attempt means for the rest of the call, read from its `fault` (see `Fault` in
 * `libs/contracts`), which every error carries, wherever it was detected: the gateway's
 * validation, the worker's mapping, the upstream's answer.
 */

/** Another deployment, or a fallback model, may not have this failure: the next attempt is worth a try. */
export function worthAnotherDeployment(error: SwitchyardError): boolean {
  return error.fault === 'deployment' || error.fault === 'capacity';
}

/** Counts towards the deployment's cooldown: it failed or is saturated. Never a failure the request caused. */
export function countsAgainstDeployment(error: SwitchyardError): boolean {
  return error.fault === 'deployment';
}

/**
 * Refused as invalid before any upstream saw it: the call consumed nothing, so the key's request
 * slot is given back. A request an upstream refused keeps its slot: it did reach the upstream, and
 * a key's rpm_limit is what bounds how many such requests it can send there. So does a call whose
 * client went away: it was not refused.
 */
export function refusedBeforeUpstream(error: SwitchyardError): boolean {
  return error.fault === 'caller' && error.upstreamStatus === undefined && error.code !== 'client_closed';
}
