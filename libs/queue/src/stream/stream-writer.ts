import type IORedis from 'ioredis';
import type { ChatStreamEvent, OperationChunk } from '@app/contracts';
import { RETENTION } from '../chat-job.options';

/** The worker's end of one call's stream: ordered appends, bounded length, an expiry from the first write on. */
export class StreamWriter {
  private written = 0;

  constructor(
    private readonly redis: IORedis,
    readonly key: string,
  ) {}

  get eventsWritten(): number {
    return this.written;
  }

  /** How many events an earlier attempt of this job already wrote. */
  async existingEvents(): Promise<number> {
    return this.redis.xlen(this.key);
  }

  /**
   * Appends the event and sets the stream's expiry in one transaction: whenever this write is the
   * one that creates the key (the first, or one after the gateway deleted the stream of a client
   * that hung up), the key never exists without an expiry.
   */
  async write(event: ChatStreamEvent<OperationChunk>): Promise<void> {
    const results = await this.redis
      .multi()
      .xadd(this.key, 'MAXLEN', '~', RETENTION.callStreamMaxEvents, '*', 'e', JSON.stringify(event))
      .expire(this.key, RETENTION.callStreamSeconds)
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0] as Error;
    this.written++;
  }

  /** The reader is gone (the call was cancelled): what was written is of no use to anyone. */
  async discard(): Promise<void> {
    await this.redis.del(this.key);
  }
}
