import { Inject, Injectable } from '@nestjs/common';
import { SwitchyardError } from '@app/contracts';
import { type Deployment, GatewayConfig, type RouterSettings } from '@app/config';
import { ModelCatalog } from '../models/model-catalog.service';
import { type DeploymentRecent, DeploymentStats } from './deployment-stats';
import { countsAgainstDeployment } from './failure-policy';

const FAILURE_WINDOW_MS = 60_000;

/** One deployment to try, and the model group it serves (the requested one, or a fallback). */
export interface Attempt {
  modelGroup: string;
  deployment: Deployment;
}

/** How strongly simple-shuffle favours a deployment: `weight`, else `rpm`, else `tpm`, else 1. */
function weightOf(d: Deployment): number {
  const weight = Number(d.extraParams.weight ?? d.rpm ?? d.tpm ?? 1);
  return Number.isFinite(weight) && weight > 0 ? weight : 1;
}

/**
 * Spreads a model group's calls over its deployments and keeps failing ones out of the way.
 * State (calls in flight, recent failures, cooldowns) is this gateway's own: each replica
 * learns from the calls it makes, which keeps the hot path free of Redis round trips.
 */
@Injectable()
export class Router {
  private readonly settings: RouterSettings;
  private readonly inFlight = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();
  private readonly coolingUntil = new Map<string, number>();
  private readonly stats = new DeploymentStats();

  constructor(
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly catalog: ModelCatalog,
  ) {
    this.settings = config.router;
  }

  /**
   * Deployments to try in order: the requested group's healthy ones (the strategy's pick
   * first), then each fallback group's; only those that `canTake` the call. 429 with
   * Retry-After when every one is cooling down.
   */
  plan(modelName: string, mayUse: (modelGroup: string) => boolean = () => true, canTake: (d: Deployment) => boolean = () => true, now = Date.now()): Attempt[] {
    // A key is served only by fallbacks it may use itself: fallbacks never widen its model list.
    // A name a wildcard serves falls back as its own name says, else as its pattern's does.
    const fallbacks = this.settings.fallbacks.get(modelName) ?? this.settings.fallbacks.get(this.catalog.models.resolve(modelName)?.group ?? modelName);
    const groups = [modelName, ...(fallbacks ?? []).filter(mayUse)];
    const attempts: Attempt[] = [];
    let soonest = Infinity;
    for (const modelGroup of new Set(groups)) {
      const deployments = (this.catalog.models.resolve(modelGroup)?.deployments ?? []).filter(canTake);
      const healthy = deployments.filter((d) => {
        const until = this.coolingUntil.get(d.id) ?? 0;
        if (until > now) soonest = Math.min(soonest, until);
        return until <= now;
      });
      attempts.push(...this.order(healthy).map((deployment) => ({ modelGroup, deployment })));
    }
    if (attempts.length === 0) {
      const retryAfterMs = Number.isFinite(soonest) ? soonest - now : this.settings.cooldownTimeMs;
      throw new SwitchyardError(
        'rate_limit_exceeded',
        `every deployment of "${modelName}" is cooling down after repeated failures; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        {
          retryAfterMs,
        },
      );
    }
    return attempts;
  }

  /** Marks a call as started; the returned function ends it, with the error it failed with, if any. */
  begin(deploymentId: string): (error?: SwitchyardError) => void {
    this.inFlight.set(deploymentId, (this.inFlight.get(deploymentId) ?? 0) + 1);
    const started = Date.now();
    let ended = false;
    return (error) => {
      if (ended) return;
      ended = true;
      this.stats.record(deploymentId, Date.now() - started, Boolean(error && countsAgainstDeployment(error)));
      const left = (this.inFlight.get(deploymentId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(deploymentId, left);
      else this.inFlight.delete(deploymentId);
      if (error && countsAgainstDeployment(error)) this.recordFailure(deploymentId);
    };
  }

  /** Calls this gateway has in flight per deployment (least-busy reads it). */
  busy(deploymentId: string): number {
    return this.inFlight.get(deploymentId) ?? 0;
  }

  /** What this gateway knows of a deployment now: calls in flight, cooldown end (epoch ms, 0 when serving), recent outcomes. */
  liveState(deploymentId: string, now = Date.now()): { inFlight: number; coolingUntil: number; recent: DeploymentRecent } {
    const until = this.coolingUntil.get(deploymentId) ?? 0;
    return { inFlight: this.busy(deploymentId), coolingUntil: until > now ? until : 0, recent: this.stats.recent(deploymentId, now) };
  }

  private recordFailure(deploymentId: string, now = Date.now()): void {
    const recent = (this.failures.get(deploymentId) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS);
    recent.push(now);
    if (recent.length >= Math.max(1, this.settings.allowedFails)) {
      this.coolingUntil.set(deploymentId, now + this.settings.cooldownTimeMs);
      this.failures.delete(deploymentId);
      return;
    }
    this.failures.set(deploymentId, recent);
  }

  private order(deployments: readonly Deployment[]): Deployment[] {
    if (deployments.length <= 1) return [...deployments];
    if (this.settings.routingStrategy === 'least-busy') {
      // Ties are broken at random so equally idle deployments share the load.
      return deployments
        .map((d) => ({ d, busy: this.busy(d.id), tie: Math.random() }))
        .sort((a, b) => a.busy - b.busy || a.tie - b.tie)
        .map((x) => x.d);
    }
    // Weighted shuffle (Efraimidis–Spirakis): each deployment leads with probability weight / total.
    return deployments
      .map((d) => ({ d, key: Math.random() ** (1 / weightOf(d)) }))
      .sort((a, b) => b.key - a.key)
      .map((x) => x.d);
  }
}
