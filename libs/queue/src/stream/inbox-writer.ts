import type IORedis from 'ioredis';
import { type ChatJobResult, type ChatStreamEvent, type InboxEntryKind, type OperationChunk } from '@app/contracts';
import { RETENTION } from '../chat-job.options';

/**
 * The worker's end of one call in its gateway's inbox. Stream events are appended without waiting:
 * `write` returns at once and what piles up while a write is on its way goes in the next one, in
 * one pipeline (XADDs, then PEXPIRE of the inbox), so an upstream's chunks are read on while
 * earlier ones travel. Order is kept: one pipeline at a time, on one connection. `finish` and
 * `fail` append the outcome and wait until everything is written.
 */
export class InboxWriter {
  private readonly pending: string[][] = [];
  private inFlight?: Promise<void>;
  private scheduled = false;
  private failure?: Error;
  private written = 0;
  private marked = false;

  /**
   * @param started A marker key to set (with the inbox's expiry) together with the first write,
   *   so a later run of the job knows this call's events have begun.
   */
  constructor(
    private readonly redis: IORedis,
    readonly key: string,
    private readonly queue: string,
    private readonly callId: string,
    private readonly started?: string,
  ) {}

  get eventsWritten(): number {
    return this.written;
  }

  /** Queues the event for the next write; never waits, never throws (a failed write surfaces at {@link flush}). */
  write(event: ChatStreamEvent<OperationChunk>): void {
    this.written++;
    this.append('e', JSON.stringify(event));
  }

  /** The job's outcome, after every event: written, with everything before it, when this resolves. */
  async finish(result: ChatJobResult<unknown>): Promise<void> {
    this.append('r', JSON.stringify(result));
    await this.flush();
  }

  /** The job failed for good; `reason` is the failure as the worker encoded it. */
  async fail(reason: string): Promise<void> {
    this.append('f', reason);
    await this.flush();
  }

  /** Waits until everything queued is written; throws the first write's failure, if any. */
  async flush(): Promise<void> {
    while (this.inFlight || this.pending.length) {
      if (!this.inFlight) this.send();
      await this.inFlight;
    }
    if (this.failure) throw this.failure;
  }

  /** Nothing queued is sent any more (the client hung up). */
  discard(): void {
    this.pending.length = 0;
  }

  private append(kind: InboxEntryKind, data: string): void {
    this.pending.push(['q', this.queue, 'c', this.callId, 't', kind, 'd', data]);
    if (!this.scheduled && !this.inFlight) {
      this.scheduled = true;
      // What arrives in the same turn of the event loop goes in the same pipeline.
      setImmediate(() => this.send());
    }
  }

  private send(): void {
    this.scheduled = false;
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    const pipeline = this.redis.pipeline();
    for (const fields of batch) pipeline.xadd(this.key, 'MAXLEN', '~', RETENTION.inboxMaxEntries, '*', ...fields);
    pipeline.pexpire(this.key, RETENTION.inboxSeconds * 1000);
    if (this.started && !this.marked) {
      this.marked = true;
      pipeline.set(this.started, '1', 'EX', RETENTION.inboxSeconds);
    }
    this.inFlight = pipeline
      .exec()
      .then((results) => {
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0] as Error;
      })
      .catch((err: Error) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending.length) this.send();
      });
  }
}
