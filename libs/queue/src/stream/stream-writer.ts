import type IORedis from 'ioredis';
import type { ChatStreamEvent } from '@app/contracts';
import { STREAM_LIMITS } from './stream-keys';

/** The worker's end of one call's stream: ordered appends, bounded length, refreshed expiry. */
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

  async write(event: ChatStreamEvent): Promise<void> {
    const pipeline = this.redis.pipeline();
    pipeline.xadd(this.key, 'MAXLEN', '~', STREAM_LIMITS.maxEvents, '*', 'e', JSON.stringify(event));
    // Refreshed on the first write and on the terminal one; in between the TTL is long enough.
    if (this.written === 0 || event.t !== 'chunk') pipeline.expire(this.key, STREAM_LIMITS.ttlSeconds);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    this.written++;
  }
}
