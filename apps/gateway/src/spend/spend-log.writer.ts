import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import type { SpendLogEntity } from '@app/database';

export type SpendRow = Omit<SpendLogEntity, 'id'>;

const BATCH = 500;
const FLUSH_EVERY_MS = 1_000;
// While Postgres is away rows wait in memory; past this many the oldest are dropped (and said so).
const MAX_BUFFERED = 50_000;

/** spend_logs columns, the row field each comes from, and its Postgres type. */
const COLUMNS: ReadonlyArray<[keyof SpendRow, string, string]> = [
  ['requestId', 'request_id', 'varchar'],
  ['keyToken', 'key_token', 'varchar'],
  ['keyId', 'key_id', 'uuid'],
  ['keyAlias', 'key_alias', 'varchar'],
  ['modelGroup', 'model_group', 'varchar'],
  ['servedModelGroup', 'served_model_group', 'varchar'],
  ['deploymentId', 'deployment_id', 'varchar'],
  ['provider', 'provider', 'varchar'],
  ['upstreamModel', 'upstream_model', 'varchar'],
  ['promptTokens', 'prompt_tokens', 'int8'],
  ['completionTokens', 'completion_tokens', 'int8'],
  ['totalTokens', 'total_tokens', 'int8'],
  ['spend', 'spend', 'float8'],
  ['latencyMs', 'latency_ms', 'int4'],
  ['status', 'status', 'varchar'],
  ['httpStatus', 'http_status', 'int4'],
  ['errorCode', 'error_code', 'varchar'],
  ['stream', 'stream', 'bool'],
  ['api', 'api', 'varchar'],
  ['startTime', 'start_time', 'timestamptz'],
  ['endTime', 'end_time', 'timestamptz'],
  // A JSON array in the batch; stored as the column's text[].
  ['tags', 'tags', 'jsonb'],
];

/** How a column's sent value becomes its stored one. */
const STORED: Partial<Record<string, (column: string) => string>> = {
  tags: (column) => `ARRAY(SELECT jsonb_array_elements_text(${column}))`,
};

/** The row fields the batch's JSON carries (JSON.stringify's key list: nothing else of a row is sent). */
const FIELDS = COLUMNS.map(([field]) => field);

// The batch travels as one JSON array of rows, read back as a record set: one JSON.stringify per
// batch, where a text array per column made pg build and escape every value's array literal.
const INSERT_ROWS = `INSERT INTO spend_logs (${COLUMNS.map(([, column]) => `"${column}"`).join(', ')})
  SELECT ${COLUMNS.map(([field, column]) => STORED[column]?.(`u."${field}"`) ?? `u."${field}"`).join(', ')}
    FROM jsonb_to_recordset($1::jsonb) AS u(${COLUMNS.map(([field, , type]) => `"${field}" ${type}`).join(', ')})`;

/**
 * Spend log rows and key spend, written off the hot path: calls push a row and go on; every
 * second (or every 500 rows) one transaction inserts the rows and adds each key's spend to
 * `virtual_keys.spend` with a single atomic UPDATE, by the key's id: a key regenerated while a
 * call was in flight still gets that call's spend.
 */
@Injectable()
export class SpendLogWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(SpendLogWriter.name);
  private buffer: SpendRow[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private dropped = 0;
  /** After a failed write, rows wait for the retry timer instead of being written at the next push. */
  private retryAt = 0;

  constructor(private readonly dataSource: DataSource) {}

  push(row: SpendRow): void {
    this.buffer.push(row);
    if (this.buffer.length > MAX_BUFFERED) {
      this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      if (this.dropped++ % 1000 === 0) this.logger.error(`spend log buffer full (Postgres unreachable?): dropping the oldest rows`);
    }
    if (this.buffer.length >= BATCH && !this.flushing && Date.now() >= this.retryAt) void this.flush();
    else this.schedule();
  }

  /**
   * Writes one batch; resolves when it is in Postgres (or put back after a failure). While a
   * write runs, callers share it: the next one starts from its end, never stacked on it.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return Promise.resolve();
    const rows = this.buffer.splice(0, BATCH);
    let wrote = false;
    const flushing = this.write(rows)
      .then(() => {
        wrote = true;
      })
      .catch((err: Error) => this.writeOneByOne(rows, err))
      .finally(() => {
        this.flushing = undefined;
        // A backlog drains batch after batch while writes succeed; after a failure, wait a second.
        if (wrote && this.buffer.length >= BATCH) void this.flush();
        else this.schedule();
      });
    this.flushing = flushing;
    return flushing;
  }

  /** Writes everything still buffered before the process exits; gives up after three writes that made no progress. */
  async onApplicationShutdown(): Promise<void> {
    for (let stalled = 0; stalled < 3 && (this.buffer.length || this.flushing);) {
      const before = this.buffer.length;
      await (this.flushing ?? this.flush());
      if (!this.flushing && this.buffer.length >= before) stalled++;
    }
    clearTimeout(this.timer);
    if (this.buffer.length) this.logger.error(`${this.buffer.length} spend log rows could not be written before shutdown`);
  }

  private schedule(): void {
    if (this.buffer.length) this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /**
   * After a failed batch: when Postgres refused the data itself (not the connection), rows go
   * one by one so a single bad row cannot hold the others back forever; it alone is dropped.
   */
  private async writeOneByOne(rows: SpendRow[], batchError: Error): Promise<void> {
    if (!(batchError instanceof QueryFailedError)) {
      this.logger.warn(`could not write ${rows.length} spend log rows, will retry: ${batchError.message}`);
      this.buffer.unshift(...rows);
      this.retryAt = Date.now() + FLUSH_EVERY_MS;
      return;
    }
    for (const [index, row] of rows.entries()) {
      try {
        await this.write([row]);
      } catch (err) {
        if (!(err instanceof QueryFailedError)) {
          this.buffer.unshift(...rows.slice(index));
          this.retryAt = Date.now() + FLUSH_EVERY_MS;
          return;
        }
        this.logger.error(`dropped the spend log row of request ${row.requestId}: ${err.message}`);
      }
    }
  }

  private async write(rows: SpendRow[]): Promise<void> {
    const byKey = new Map<string, number>();
    for (const row of rows) if (row.keyId && row.spend > 0) byKey.set(row.keyId, (byKey.get(row.keyId) ?? 0) + row.spend);
    await this.dataSource.transaction(async (tx) => {
      await tx.query(INSERT_ROWS, [JSON.stringify(rows, FIELDS)]);
      if (byKey.size === 0) return;
      await tx.query(
        `UPDATE virtual_keys AS k SET spend = k.spend + v.delta
           FROM unnest($1::uuid[], $2::float8[]) AS v(id, delta)
          WHERE k.id = v.id`,
        [[...byKey.keys()], [...byKey.values()]],
      );
    });
  }
}
