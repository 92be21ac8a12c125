import type IORedis from 'ioredis';
import { type ChatJobResult, type ChatStreamEvent, type InboxEntryKind, type OperationChunk } from '@app/contracts';
import { type InboxEntryOwner, InboxPipeline } from './inbox-pipeline';

/**
 * The worker's end of one call in its gateway's inbox. Stream events are appended without waiting:
 * `write` returns at once and the event goes to Redis with what else this process appends in the
 * same turn of the event loop, or while a write is on its way (see {@link InboxPipeline}), so an
 * upstream's chunks are read on while earlier ones travel. Order is kept: one pipeline at a time,
 * on one connection. `finish` and `fail` append the outcome and wait until everything is written.
 */
export class InboxWriter {
  private readonly pipeline: InboxPipeline;
  private readonly owner: InboxEntryOwner = { failed: (err) => (this.failure ??= err) };
  /** Settled once Redis has answered the pipeline that carried this writer's latest entry. */
  private sent?: Promise<void>;
  private failure?: Error;
  private written = 0;
  private marked = false;

  /**
   * @param started A marker key to set (with the inbox's expiry) together with the first write,
   *   so a later run of the job knows this call's events have begun.
   */
  constructor(
    redis: IORedis,
    readonly key: string,
    private readonly queue: string,
    private readonly callId: string,
    private readonly started?: string,
  ) {
    this.pipeline = InboxPipeline.of(redis);
  }

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
    await this.sent;
    if (this.failure) throw this.failure;
  }

  /** Nothing queued is sent any more (the client hung up). */
  discard(): void {
    this.pipeline.drop(this.owner);
  }

  private append(kind: InboxEntryKind, data: string): void {
    const marker = this.marked ? undefined : this.started;
    this.marked = true;
    this.sent = this.pipeline.append(this.owner, this.key, ['q', this.queue, 'c', this.callId, 't', kind, 'd', data], marker);
  }
}
