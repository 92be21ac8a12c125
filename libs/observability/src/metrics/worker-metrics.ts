import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CALL_SECONDS, WAIT_SECONDS } from './metrics-registry';

/**
 * How a worker's turn with a job ended: `completed`, `failed` (for good), `retried` (after a
 * backoff), `postponed` (waiting for the deployment's limits), `returned` (put back on the
 * queue at shutdown) or `cancelled` (the client went away).
 */
export type JobOutcome = 'completed' | 'failed' | 'retried' | 'postponed' | 'returned' | 'cancelled';

/**
 * A worker's metrics, on its own registry. `provider` is the worker's wire (`openai`, `ollama`),
 * `queue` the backend's queue the job came from (`chat-hosted_vllm`), `model` the configured
 * model name the job carries.
 */
export class WorkerMetrics {
  private readonly jobs: Counter<'provider' | 'queue' | 'model' | 'outcome'>;
  private readonly inProgress: Gauge<'provider' | 'queue'>;
  private readonly queueWait: Histogram<'provider' | 'queue' | 'model'>;
  private readonly upstream: Histogram<'provider' | 'queue' | 'model' | 'outcome'>;
  private readonly firstToken: Histogram<'provider' | 'queue' | 'model'>;
  private readonly retries: Counter<'provider' | 'queue' | 'model'>;
  private readonly rateLimited: Counter<'provider' | 'queue' | 'model'>;
  private readonly truncated: Counter<'provider' | 'queue' | 'model'>;

  constructor(
    readonly registry: Registry,
    private readonly provider: string,
    queues: readonly string[] = [],
  ) {
    const registers = [registry];
    this.jobs = new Counter({
      name: 'switchyard_worker_jobs_total',
      help: 'Turns this worker took with a job, by how they ended',
      labelNames: ['provider', 'queue', 'model', 'outcome'],
      registers,
    });
    this.inProgress = new Gauge({
      name: 'switchyard_worker_jobs_in_progress',
      help: 'Jobs this worker is running now',
      labelNames: ['provider', 'queue'],
      registers,
    });
    for (const queue of queues) this.inProgress.set({ provider, queue }, 0);
    this.queueWait = new Histogram({
      name: 'switchyard_queue_wait_seconds',
      help: 'Time from the gateway enqueuing a call to a worker first taking it',
      labelNames: ['provider', 'queue', 'model'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.upstream = new Histogram({
      name: 'switchyard_upstream_duration_seconds',
      help: 'Duration of one upstream call (a stream: to its last chunk), by outcome: success or error',
      labelNames: ['provider', 'queue', 'model', 'outcome'],
      buckets: CALL_SECONDS,
      registers,
    });
    this.firstToken = new Histogram({
      name: 'switchyard_upstream_time_to_first_token_seconds',
      help: 'Streams: time from sending the upstream request to its first chunk',
      labelNames: ['provider', 'queue', 'model'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.retries = new Counter({
      name: 'switchyard_upstream_retries_total',
      help: 'Upstream calls scheduled for a retry after a 5xx, 408, timeout or connection error',
      labelNames: ['provider', 'queue', 'model'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'switchyard_upstream_rate_limited_total',
      help: 'Upstream answers with status 429',
      labelNames: ['provider', 'queue', 'model'],
      registers,
    });
    this.truncated = new Counter({
      name: 'switchyard_upstream_prompt_truncated_total',
      help: 'Answers whose upstream counted far fewer prompt tokens than the prompt holds: it cut the prompt to its context (Ollama does so silently)',
      labelNames: ['provider', 'queue', 'model'],
      registers,
    });
  }

  jobStarted(queue: string): void {
    this.inProgress.inc({ provider: this.provider, queue });
  }

  jobEnded(queue: string, model: string, outcome: JobOutcome): void {
    this.inProgress.dec({ provider: this.provider, queue });
    this.jobs.inc({ provider: this.provider, queue, model, outcome });
  }

  queued(queue: string, model: string, seconds: number): void {
    this.queueWait.observe({ provider: this.provider, queue, model }, Math.max(0, seconds));
  }

  upstreamCall(queue: string, model: string, outcome: 'success' | 'error', seconds: number): void {
    this.upstream.observe({ provider: this.provider, queue, model, outcome }, seconds);
  }

  firstChunk(queue: string, model: string, seconds: number): void {
    this.firstToken.observe({ provider: this.provider, queue, model }, seconds);
  }

  retry(queue: string, model: string): void {
    this.retries.inc({ provider: this.provider, queue, model });
  }

  upstreamRateLimited(queue: string, model: string): void {
    this.rateLimited.inc({ provider: this.provider, queue, model });
  }

  promptTruncated(queue: string, model: string): void {
    this.truncated.inc({ provider: this.provider, queue, model });
  }
}
