import { DelayedError, type Job, type Queue } from 'bullmq';
import { type ChatJobPayload, SwitchyardError } from '@app/contracts';
import type { Deployment } from '@app/config';
import { type Admission, type DeploymentLimiter, type HeldSlot } from '../limits/deployment-limiter';

/** How long an upstream 429 without `Retry-After` pauses its deployment. */
export const DEFAULT_UPSTREAM_PAUSE_MS = 1_000;

/**
 * A job parked because its deployment has `max_parallel_requests` calls in flight is woken
 * when one of them ends; in case that wake-up is lost (its worker died, the job was being
 * looked at), it also looks again after half the time it has waited, within these bounds.
 */
export const PARKED_RECHECK = { minMs: 500, maxMs: 5_000 } as const;

/** The job at the gate: BullMQ's, with the token of this worker's lock on it. */
export interface GatedJob {
  job: Job<ChatJobPayload>;
  token: string | undefined;
}

/**
 * A deployment's limits (`rpm`, `tpm`, `max_parallel_requests`, an upstream's 429) across all
 * workers. A job that has to wait is moved back to the delayed set, freeing this worker's slot,
 * until its deployment can take it; one that could only start after its deadline fails now with
 * 429 and `Retry-After`. BullMQ's own limiter is not used: it limits a whole queue.
 */
export class DeploymentGate {
  constructor(
    private readonly limiter: DeploymentLimiter,
    private readonly log: { warn(message: string): void },
  ) {}

  /** A slot of the deployment for this call, or the job moved back to wait (throws `DelayedError`) or failed (throws `SwitchyardError`). */
  async enter(gated: GatedJob, deployment: Pick<Deployment, 'id' | 'rpm' | 'tpm' | 'maxParallelRequests'>, estimate: number): Promise<HeldSlot> {
    const { job } = gated;
    const admission = await this.limiter.acquire({
      deploymentId: deployment.id,
      limits: deployment,
      jobId: job.data.callId,
      estimate,
      deadline: job.data.deadline,
    });
    if (admission.kind === 'admitted') return admission.slot;
    if (admission.kind === 'too_large') {
      throw new SwitchyardError(
        'tokens_over_limit',
        `this call needs about ${estimate} tokens, more than the tpm limit (${admission.tpm}) of model "${job.data.modelName}"`,
      );
    }
    return this.postpone(gated, admission);
  }

  /** The upstream answered 429: pauses the deployment for its `Retry-After` (else a second) and puts the job back to wait for it. */
  async pauseFor(gated: GatedJob, deploymentId: string, upstream: SwitchyardError): Promise<never> {
    const until = await this.limiter.pause(deploymentId, Date.now() + (upstream.retryAfterMs ?? DEFAULT_UPSTREAM_PAUSE_MS));
    return this.postpone(gated, { kind: 'paused', until }, upstream);
  }

  /**
   * Frees the slot, counting the tokens the call used (its estimate stands when undefined), and
   * wakes a job parked for it on `queue`. Never throws: a lease expires by itself, and parked jobs
   * look again on their own.
   */
  async leave(slot: HeldSlot, usedTokens: number | undefined, queue: Pick<Queue, 'getJob'>): Promise<void> {
    try {
      let parked = await this.limiter.release(slot, usedTokens);
      // A parked job that is not in the delayed set right now (it is being looked at, or is gone) cannot be woken; try the next.
      for (let tries = 0; parked && tries < 3; tries++) {
        const job = await queue.getJob(parked);
        if (
          await job?.promote().then(
            () => true,
            () => false,
          )
        )
          return;
        parked = await this.limiter.nextParked(slot.deploymentId);
      }
    } catch (err) {
      this.log.warn(`could not free a slot of deployment ${slot.deploymentId}: ${(err as Error).message}`);
    }
  }

  /** Moves the job back to the delayed set until its deployment can take it, or fails it when that is past its deadline. */
  private async postpone(
    { job, token }: GatedJob,
    admission: Exclude<Admission, { kind: 'admitted' | 'too_large' }>,
    upstream?: SwitchyardError,
  ): Promise<never> {
    const { deadline, modelName, enqueuedAt } = job.data;
    const now = Date.now();
    let at: number;
    if (admission.kind === 'busy') {
      const waited = now - enqueuedAt;
      const recheck = Math.min(PARKED_RECHECK.maxMs, Math.max(PARKED_RECHECK.minMs, waited / 2)) * (0.8 + Math.random() * 0.4);
      at = Math.min(deadline, now + Math.round(recheck));
    } else {
      if (admission.until >= deadline) {
        const retryAfterMs = admission.until - now;
        const message =
          upstream?.message ??
          (admission.kind === 'limited'
            ? `model "${modelName}" is at its ${admission.limit} limit; it can take this call in ${Math.ceil(retryAfterMs / 1000)} s, after the call's deadline`
            : `model "${modelName}" is paused after its upstream answered 429; it can take this call in ${Math.ceil(retryAfterMs / 1000)} s, after the call's deadline`);
        // An upstream's own backpressure (Ollama's full queue) keeps its fault: the deployment did not fail.
        throw new SwitchyardError('rate_limit_exceeded', message, { retryAfterMs, fault: upstream?.fault });
      }
      // A little spread, so the calls that waited do not all arrive in the same millisecond.
      const spread = Math.random() * Math.min(1_000, (admission.until - now) * 0.2);
      at = Math.min(admission.until + Math.round(spread), deadline - 1);
    }
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  }
}
