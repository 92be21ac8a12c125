import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CALL_SECONDS, WAIT_SECONDS } from './metrics-registry';

/**
 * How a worker's turn with a job ended: `completed`, `failed` (for good), `retried` (after a
 * backoff), `postponed` (waiting for the deployment's limits), `returned` (put back on the
 * queue at shutdown) or `cancelled` (the client went away).
 */
export type JobOutcome = 'completed' | 'failed' | 'retried' | 'postponed' | 'returned' | 'cancelled';

/** A worker's metrics, on its own registry; `model` is the configured model name the job carries. */
export class WorkerMetrics {
  private readonly jobs: Counter<'provider' | 'model' | 'outcome'>;
  private readonly inProgress: Gauge<'provider'>;
  private readonly queueWait: Histogram<'provider' | 'model'>;
  private readonly upstream: Histogram<'provider' | 'model' | 'outcome'>;
  private readonly firstToken: Histogram<'provider' | 'model'>;
  private readonly retries: Counter<'provider' | 'model'>;
  private readonly rateLimited: Counter<'provider' | 'model'>;

  constructor(
    readonly registry: Registry,
    private readonly provider: string,
  ) {
    const registers = [registry];
    this.jobs = new Counter({
      name: 'switchyard_worker_jobs_total',
      help: "Turns this worker took with a job, by how they ended",
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    });
    this.inProgress = new Gauge({ name: 'switchyard_worker_jobs_in_progress', help: 'Jobs this worker is running now', labelNames: ['provider'], registers });
    this.inProgress.set({ provider }, 0);
    this.queueWait = new Histogram({
      name: 'switchyard_queue_wait_seconds',
      help: 'Time from the gateway enqueuing a call to a worker first taking it',
      labelNames: ['provider', 'model'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.upstream = new Histogram({
      name: 'switchyard_upstream_duration_seconds',
      help: 'Duration of one upstream call (a stream: to its last chunk), by outcome: success or error',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: CALL_SECONDS,
      registers,
    });
    this.firstToken = new Histogram({
      name: 'switchyard_upstream_time_to_first_token_seconds',
      help: 'Streams: time from sending the upstream request to its first chunk',
      labelNames: ['provider', 'model'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.retries = new Counter({
      name: 'switchyard_upstream_retries_total',
      help: 'Upstream calls scheduled for a retry after a 5xx, 408, timeout or connection error',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'switchyard_upstream_rate_limited_total',
      help: 'Upstream answers with status 429',
      labelNames: ['provider', 'model'],
      registers,
    });
  }

  jobStarted(): void {
    this.inProgress.inc({ provider: this.provider });
  }

  jobEnded(model: string, outcome: JobOutcome): void {
    this.inProgress.dec({ provider: this.provider });
    this.jobs.inc({ provider: this.provider, model, outcome });
  }

  queued(model: string, seconds: number): void {
    this.queueWait.observe({ provider: this.provider, model }, Math.max(0, seconds));
  }

  upstreamCall(model: string, outcome: 'success' | 'error', seconds: number): void {
    this.upstream.observe({ provider: this.provider, model, outcome }, seconds);
  }

  firstChunk(model: string, seconds: number): void {
    this.firstToken.observe({ provider: this.provider, model }, seconds);
  }

  retry(model: string): void {
    this.retries.inc({ provider: this.provider, model });
  }

  upstreamRateLimited(model: string): void {
    this.rateLimited.inc({ provider: this.provider, model });
  }
}
