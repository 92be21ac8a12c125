import type IORedis from 'ioredis';
import { ACQUIRE_SCRIPT, PAUSE_SCRIPT, RELEASE_SCRIPT } from './deployment-limiter.scripts';

/** `rpm` and `tpm` count over a sliding window of this length. */
export const LIMIT_WINDOW_MS = 60_000;

/**
 * How long a call holds its in-flight slot without renewal. The worker running it renews the
 * lease every {@link LEASE_RENEW_MS}; a worker that is killed stops renewing, so its slots
 * free themselves (a stalled job that another worker re-runs takes its old slot over at once).
 */
export const LEASE_MS = 10_000;
export const LEASE_RENEW_MS = 3_000;

/**
 * A deployment without `rpm`, `tpm` or `max_parallel_requests` is not metered: its calls cost no
 * Redis round trip at the gate. Only an upstream 429's pause holds them. A worker reads a
 * deployment's pause again when its reading is this old (its own pauses it knows at once); until
 * the new reading arrives, calls go by the old one, unless that is older than twice this, when
 * they wait for the new one. Another worker's pause reaches a worker within 2 × this.
 */
export const PAUSE_READ_MS = 250;

/**
 * Redis keys of one deployment's limiter, under QUEUE_PREFIX (so a hash-tagged prefix puts
 * them, like the queues, in one Redis Cluster slot):
 * - `inflight`: sorted set, job id → lease expiry (ms); live members are the calls in flight;
 * - `log`: sorted set, one entry per call sent in the last window → its start time (ms);
 * - `tokens`: hash, log entry → tokens (the estimate, then the call's usage);
 * - `total`: the sum of `tokens`;
 * - `pause`: set after an upstream 429, holding the time (ms) until which nothing is sent;
 * - `parked`: sorted set, job ids waiting for a free slot → their deadline (ms).
 */
export function deploymentKeys(prefix: string, deploymentId: string) {
  const base = `${prefix}:deployment:${deploymentId}`;
  return {
    inflight: `${base}:inflight`,
    log: `${base}:log`,
    tokens: `${base}:tokens`,
    total: `${base}:total`,
    pause: `${base}:pause`,
    parked: `${base}:parked`,
  };
}

export interface DeploymentLimits {
  rpm?: number;
  tpm?: number;
  maxParallelRequests?: number;
}

/** Whether the deployment has a limit, so that its calls are counted in Redis (in flight, per window). */
export function isMetered(limits: DeploymentLimits): boolean {
  return Boolean(limits.rpm || limits.tpm || limits.maxParallelRequests);
}

export interface AdmissionRequest {
  deploymentId: string;
  limits: DeploymentLimits;
  jobId: string;
  /** Tokens the call is expected to use (see `estimateTokens`). */
  estimate: number;
  /** Epoch ms; a parked job is forgotten after it. */
  deadline: number;
}

/** A call allowed to go upstream; hand it back to {@link DeploymentLimiter.release}. */
export interface HeldSlot {
  deploymentId: string;
  jobId: string;
  entryId: string;
  /** False for a deployment without limits: nothing was recorded, nothing is freed. */
  metered: boolean;
}

export type Admission =
  | { kind: 'admitted'; slot: HeldSlot }
  /** An upstream 429 paused the deployment until `until` (epoch ms). */
  | { kind: 'paused'; until: number }
  /** Its rpm or tpm allows the call no sooner than `until` (epoch ms). */
  | { kind: 'limited'; until: number; limit: 'rpm' | 'tpm' }
  /** `max_parallel_requests` calls are in flight; the job is parked until one ends. */
  | { kind: 'busy' }
  /** The call alone needs more tokens than the deployment's tpm. */
  | { kind: 'too_large'; tpm: number };

/** What a router can read cheaply about a deployment. */
export interface DeploymentLoad {
  inFlight: number;
  requestsInWindow: number;
  tokensInWindow: number;
  /** Epoch ms until which an upstream 429 paused it; 0 when not paused. */
  pausedUntil: number;
  parked: number;
}

interface LimiterCommands {
  switchyardAcquire(...args: (string | number)[]): Promise<[string, string, string?]>;
  switchyardRelease(...args: (string | number)[]): Promise<string | null>;
  switchyardPause(...args: (string | number)[]): Promise<number>;
}

/**
 * Per-deployment limits shared by every worker process: rpm, tpm and max_parallel_requests
 * are checked and recorded in one Lua script, so two workers can never both take the last
 * slot. BullMQ's own limiter is per queue, and one queue carries many deployments; a limit
 * or a 429 pause of one deployment must not hold up the others.
 */
export class DeploymentLimiter {
  private readonly held = new Map<string, HeldSlot>();
  /** Pauses of unmetered deployments as last read (or set here), and when they were read. */
  private readonly pauses = new Map<string, { until: number; readAt: number; reading?: Promise<number> }>();
  private readonly renewal: NodeJS.Timeout;
  private readonly commands: LimiterCommands;
  private entrySeq = 0;

  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
    private readonly windowMs = LIMIT_WINDOW_MS,
  ) {
    redis.defineCommand('switchyardAcquire', { numberOfKeys: 6, lua: ACQUIRE_SCRIPT });
    redis.defineCommand('switchyardRelease', { numberOfKeys: 5, lua: RELEASE_SCRIPT });
    redis.defineCommand('switchyardPause', { numberOfKeys: 1, lua: PAUSE_SCRIPT });
    this.commands = redis as unknown as LimiterCommands;
    this.renewal = setInterval(() => void this.renewLeases().catch(() => undefined), LEASE_RENEW_MS);
    this.renewal.unref();
  }

  /** Admits the call and records it, or says why not and until when. Parks the job when the deployment is busy. */
  async acquire(request: AdmissionRequest, now = Date.now()): Promise<Admission> {
    if (!isMetered(request.limits)) {
      const until = await this.pausedUntil(request.deploymentId, now);
      if (until > now) return { kind: 'paused', until };
      return { kind: 'admitted', slot: { deploymentId: request.deploymentId, jobId: request.jobId, entryId: '', metered: false } };
    }
    const keys = deploymentKeys(this.prefix, request.deploymentId);
    const entryId = `${request.jobId}:${now}:${this.entrySeq++}`;
    const { rpm = 0, tpm = 0, maxParallelRequests = 0 } = request.limits;
    const [kind, value, limit] = await this.commands.switchyardAcquire(
      keys.inflight,
      keys.log,
      keys.tokens,
      keys.total,
      keys.pause,
      keys.parked,
      now,
      this.windowMs,
      LEASE_MS,
      request.jobId,
      entryId,
      request.estimate,
      rpm,
      tpm,
      maxParallelRequests,
      request.deadline,
    );
    switch (kind) {
      case 'admitted': {
        const slot = { deploymentId: request.deploymentId, jobId: request.jobId, entryId, metered: true };
        this.held.set(request.jobId, slot);
        return { kind, slot };
      }
      case 'paused':
        return { kind, until: Number(value) };
      case 'limited':
        return { kind, until: Number(value), limit: limit === 'tpm' ? 'tpm' : 'rpm' };
      case 'busy':
        return { kind };
      default:
        return { kind: 'too_large', tpm: Number(value) };
    }
  }

  /**
   * Frees the slot and replaces the call's token estimate by its usage when known. Returns
   * the id of a parked job to wake (the one with the earliest deadline), if any.
   */
  async release(slot: HeldSlot, usedTokens?: number, now = Date.now()): Promise<string | undefined> {
    if (!slot.metered) return undefined;
    this.held.delete(slot.jobId);
    const keys = deploymentKeys(this.prefix, slot.deploymentId);
    const next = await this.commands.switchyardRelease(
      keys.inflight,
      keys.log,
      keys.tokens,
      keys.total,
      keys.parked,
      now,
      this.windowMs,
      LEASE_MS,
      slot.jobId,
      slot.entryId,
      usedTokens ?? -1,
    );
    return next ?? undefined;
  }

  /** The next parked job of a deployment whose wake-up found nothing to wake (the job was not waiting). */
  async nextParked(deploymentId: string, now = Date.now()): Promise<string | undefined> {
    const keys = deploymentKeys(this.prefix, deploymentId);
    const [[,], [, ids]] = (await this.redis.multi().zremrangebyscore(keys.parked, '-inf', now).zrange(keys.parked, 0, 0).exec()) as [
      [null, number],
      [null, string[]],
    ];
    const id = ids[0];
    if (id !== undefined) await this.redis.zrem(keys.parked, id);
    return id;
  }

  /** After an upstream 429: nothing more goes to this deployment until `until`. Returns the pause's end, which may be later. */
  async pause(deploymentId: string, until: number, now = Date.now()): Promise<number> {
    const end = Number(await this.commands.switchyardPause(deploymentKeys(this.prefix, deploymentId).pause, now, until));
    this.pauses.set(deploymentId, { until: end, readAt: now });
    return end;
  }

  /**
   * Until when (epoch ms, 0 if not) an unmetered deployment is paused, as read at most
   * {@link PAUSE_READ_MS} ago; a reading up to twice that old is answered at once while a fresh one
   * is read for the next calls; an older one (or none: the deployment's first call, or after a
   * quiet spell) waits for the fresh one.
   */
  private async pausedUntil(deploymentId: string, now: number): Promise<number> {
    const known = this.pauses.get(deploymentId);
    if (known && now - known.readAt < PAUSE_READ_MS) return known.until;
    const usable = known !== undefined && now - known.readAt < 2 * PAUSE_READ_MS;
    if (known?.reading) return usable ? known.until : known.reading;
    const asked = Date.now();
    const reading = this.redis.get(deploymentKeys(this.prefix, deploymentId).pause).then(
      (value) => {
        // A pause this worker set while the read was on its way is newer than what was read.
        const current = this.pauses.get(deploymentId);
        if (current && current.readAt >= asked) return current.until;
        const until = Number(value ?? 0);
        this.pauses.set(deploymentId, { until, readAt: Date.now() });
        return until;
      },
      (err: Error) => {
        this.pauses.delete(deploymentId);
        throw err;
      },
    );
    this.pauses.set(deploymentId, { until: known?.until ?? 0, readAt: known?.readAt ?? 0, reading });
    if (!usable) return reading;
    reading.catch(() => undefined);
    return known.until;
  }

  async load(deploymentId: string, now = Date.now()): Promise<DeploymentLoad> {
    return readDeploymentLoad(this.redis, this.prefix, deploymentId, now, this.windowMs);
  }

  close(): void {
    clearInterval(this.renewal);
  }

  private async renewLeases(): Promise<void> {
    if (this.held.size === 0) return;
    const expiry = Date.now() + LEASE_MS;
    const pipeline = this.redis.pipeline();
    for (const slot of this.held.values()) {
      const { inflight } = deploymentKeys(this.prefix, slot.deploymentId);
      pipeline.zadd(inflight, 'XX', expiry, slot.jobId).pexpire(inflight, LEASE_MS + this.windowMs);
    }
    await pipeline.exec();
  }
}

/** A deployment's current load, in one round trip: for routers choosing a deployment and for tests. */
export async function readDeploymentLoad(
  redis: IORedis,
  prefix: string,
  deploymentId: string,
  now = Date.now(),
  windowMs = LIMIT_WINDOW_MS,
): Promise<DeploymentLoad> {
  const keys = deploymentKeys(prefix, deploymentId);
  const results = (await redis
    .multi()
    .zcount(keys.inflight, `(${now}`, '+inf')
    .zcount(keys.log, `(${now - windowMs}`, '+inf')
    .get(keys.total)
    .get(keys.pause)
    .zcard(keys.parked)
    .exec()) as [null, unknown][];
  const [inFlight, requestsInWindow, total, pause, parked] = results.map(([, value]) => value);
  const pausedUntil = Number(pause ?? 0);
  return {
    inFlight: Number(inFlight),
    requestsInWindow: Number(requestsInWindow),
    // Entries older than the window leave the total at the next admission; close enough for routing.
    tokensInWindow: Math.max(0, Number(total ?? 0)),
    pausedUntil: pausedUntil > now ? pausedUntil : 0,
    parked: Number(parked),
  };
}
