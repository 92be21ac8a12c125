import type IORedis from 'ioredis';
import { RETENTION } from '../chat-job.options';

/** Whoever appended an entry: told when Redis refused it. */
export interface InboxEntryOwner {
  failed(error: Error): void;
}

interface Entry {
  owner: InboxEntryOwner;
  inbox: string;
  fields: string[];
  /** A key to set (with the inbox's expiry) together with this entry. */
  marker?: string;
}

/**
 * The inbox entries a worker process writes on one connection, whatever their call: what is
 * appended in one turn of the event loop, and what piles up while a write is on its way, goes to
 * Redis in one pipeline (the XADDs in order, the markers, one PEXPIRE per inbox). One pipeline at
 * a time, so every call's entries keep their order. With many streams in flight, the chunks of
 * many calls then share one write instead of taking one each.
 */
export class InboxPipeline {
  private static readonly byConnection = new WeakMap<IORedis, InboxPipeline>();

  private pending: Entry[] = [];
  /** Settled once the pipeline that will carry `pending` has been answered. */
  private next?: { promise: Promise<void>; resolve: () => void };
  private inFlight = false;
  private scheduled = false;

  private constructor(private readonly redis: IORedis) {}

  /** The pipeline of this connection, shared by every writer on it. */
  static of(redis: IORedis): InboxPipeline {
    let pipeline = InboxPipeline.byConnection.get(redis);
    if (!pipeline) {
      pipeline = new InboxPipeline(redis);
      InboxPipeline.byConnection.set(redis, pipeline);
    }
    return pipeline;
  }

  /** Queues the entry; resolves (never rejects) once Redis has answered the pipeline that carried it; a refusal goes to `owner`. */
  append(owner: InboxEntryOwner, inbox: string, fields: string[], marker?: string): Promise<void> {
    this.pending.push({ owner, inbox, fields, marker });
    if (!this.next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.next = { promise, resolve };
    }
    if (!this.scheduled && !this.inFlight) {
      this.scheduled = true;
      setImmediate(() => this.send());
    }
    return this.next.promise;
  }

  /** Drops what `owner` queued that is not on its way yet. */
  drop(owner: InboxEntryOwner): void {
    this.pending = this.pending.filter((entry) => entry.owner !== owner);
  }

  private send(): void {
    this.scheduled = false;
    if (this.inFlight) return;
    const batch = this.pending;
    const done = this.next;
    this.pending = [];
    this.next = undefined;
    if (batch.length === 0) {
      done?.resolve();
      return;
    }
    this.inFlight = true;
    const pipeline = this.redis.pipeline();
    // The owner of each command, by its place in the pipeline (none for the PEXPIREs).
    const owners: Array<InboxEntryOwner | undefined> = [];
    const inboxes = new Set<string>();
    for (const { owner, inbox, fields, marker } of batch) {
      pipeline.xadd(inbox, 'MAXLEN', '~', RETENTION.inboxMaxEntries, '*', ...fields);
      owners.push(owner);
      if (marker) {
        pipeline.set(marker, '1', 'EX', RETENTION.inboxSeconds);
        owners.push(owner);
      }
      inboxes.add(inbox);
    }
    for (const inbox of inboxes) pipeline.pexpire(inbox, RETENTION.inboxSeconds * 1000);
    void pipeline
      .exec()
      .then(
        (results) => results?.forEach(([err], i) => err && owners[i]?.failed(err)),
        (err: Error) => batch.forEach((entry) => entry.owner.failed(err)),
      )
      .finally(() => {
        this.inFlight = false;
        done?.resolve();
        if (this.next) this.send();
      });
  }
}
