import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { StoredResponseEntity } from '@app/database';
import type { AuthContext } from '../auth/auth-context';
import { orUnavailable } from '../http/or-unavailable';
import type { ConversationItem } from './response-items';
import type { ResponseObject } from './response-object';

const SWEEP_MS = 60_000;
/** Rows one sweep statement deletes: a backlog is worked off in short transactions. */
const SWEEP_BATCH = 1000;

/** Which rows a caller may see, as SQL on `column` with the key's id as `$2`: the master key sees every response, a virtual key its own. */
function ownedBy(auth: AuthContext, column = 'key_id'): { sql: string; params: string[] } {
  return auth.kind === 'master' ? { sql: 'TRUE', params: [] } : { sql: `${column} = $2`, params: [auth.key.id] };
}

/** Rows a DELETE touched: TypeORM answers a raw DELETE with `[rows, count]`. */
function deletedCount(result: unknown): number {
  return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
}

/**
 * Stored Responses (`store`, the default): what the key that made them, or the master key, can
 * read back, continue and delete until they expire after `RESPONSES_RETENTION`. Another key is
 * told that such a response does not exist. An expired response is never served; a sweep on
 * every gateway deletes them each minute.
 */
@Injectable()
export class ResponseStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ResponseStore.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(StoredResponseEntity) private readonly rows: Repository<StoredResponseEntity>,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = () => void this.sweep().catch((err: Error) => this.logger.warn(`stored responses sweep failed: ${err.message}`));
    this.timer = setInterval(sweep, SWEEP_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async save(auth: AuthContext, previousResponseId: string | null, input: ConversationItem[], response: ResponseObject, now = Date.now()): Promise<void> {
    await orUnavailable(
      this.rows.query(
        `INSERT INTO stored_responses (id, key_id, previous_response_id, input, response, created_at, expires_at)
         VALUES ($1, $2, $3, $4::json, $5::json, $6, $7)`,
        [
          response.id,
          auth.kind === 'virtual' ? auth.key.id : null,
          previousResponseId,
          JSON.stringify(input),
          JSON.stringify(response),
          new Date(now),
          new Date(now + this.config.env.RESPONSES_RETENTION * 1000),
        ],
      ),
    );
  }

  /** The stored response, if this caller may see it and it has not expired. */
  async find(auth: AuthContext, id: string): Promise<Pick<StoredResponseEntity, 'input' | 'response'> | null> {
    const owner = ownedBy(auth);
    const rows: Array<Pick<StoredResponseEntity, 'input' | 'response'>> = await orUnavailable(
      this.rows.query(`SELECT input, response FROM stored_responses WHERE id = $1 AND expires_at > now() AND ${owner.sql}`, [id, ...owner.params]),
    );
    return rows[0] ?? null;
  }

  /** Deletes the response if this caller may see it; false when there is none. */
  async delete(auth: AuthContext, id: string): Promise<boolean> {
    const owner = ownedBy(auth);
    const result: unknown = await orUnavailable(
      this.rows.query(`DELETE FROM stored_responses WHERE id = $1 AND expires_at > now() AND ${owner.sql}`, [id, ...owner.params]),
    );
    return deletedCount(result) > 0;
  }

  /**
   * The conversation a new response continues: every response from the first to `id`, each
   * one's input items then its output, oldest first. A 404 (`param: previous_response_id`)
   * when `id` is not this caller's or has expired, or when a response before it has since been
   * deleted or has expired: continuing without it would silently drop part of the conversation.
   */
  async conversation(auth: AuthContext, id: string): Promise<ConversationItem[]> {
    const owner = ownedBy(auth);
    const chain: Array<{ id: string; previous_response_id: string | null; input: ConversationItem[]; response: ResponseObject }> = await orUnavailable(
      this.rows.query(
        `WITH RECURSIVE chain AS (
           SELECT id, previous_response_id, input, response, 0 AS depth FROM stored_responses
            WHERE id = $1 AND expires_at > now() AND ${owner.sql}
           UNION ALL
           SELECT r.id, r.previous_response_id, r.input, r.response, c.depth + 1 FROM stored_responses r
             JOIN chain c ON r.id = c.previous_response_id
            WHERE r.expires_at > now() AND ${ownedBy(auth, 'r.key_id').sql}
         )
         SELECT id, previous_response_id, input, response FROM chain ORDER BY depth DESC`,
        [id, ...owner.params],
      ),
    );
    if (chain.length === 0) {
      throw new SwitchyardError('not_found', `previous response "${id}" not found: it does not exist, has expired, or was not made with this key`, {
        param: 'previous_response_id',
      });
    }
    const first = chain[0];
    if (first.previous_response_id) {
      throw new SwitchyardError(
        'not_found',
        `response "${first.previous_response_id}", earlier in the conversation of "${id}", was deleted or has expired; send the whole input instead`,
        { param: 'previous_response_id' },
      );
    }
    return chain.flatMap((row) => [...row.input, ...row.response.output]);
  }

  /** Deletes expired responses, a batch at a time; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const result: unknown = await orUnavailable(
        this.rows.query(`DELETE FROM stored_responses WHERE id IN (SELECT id FROM stored_responses WHERE expires_at <= now() LIMIT ${SWEEP_BATCH})`),
      );
      const deleted = deletedCount(result);
      total += deleted;
      if (deleted < SWEEP_BATCH) return total;
    }
  }
}
