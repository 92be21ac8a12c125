import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { VirtualKeyEntity } from '@app/database';
import { GatewayMetrics } from '@app/observability';
import { ChangeNotices } from '../cluster/change-notices.service';
import type { KeyRecord } from './auth-context';

// Unknown keys are remembered briefly so a flood of bad keys does not become a flood of queries.
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

interface Entry {
  record: KeyRecord | null;
  expiresAt: number;
}

export function toRecord(row: VirtualKeyEntity): KeyRecord {
  return {
    id: row.id,
    token: row.token,
    keyName: row.keyName,
    keyAlias: row.keyAlias,
    models: row.models,
    metadata: row.metadata,
    expires: row.expires,
    blocked: row.blocked,
    spend: row.spend,
    maxBudget: row.maxBudget,
    budgetDuration: row.budgetDuration,
    budgetResetAt: row.budgetResetAt,
    rpmLimit: row.rpmLimit,
    tpmLimit: row.tpmLimit,
    maxParallelRequests: row.maxParallelRequests,
  };
}

/**
 * Virtual keys by hash, in memory, so the hot path does not query Postgres. A change to a key
 * is announced to every gateway, which drops its copy; after a lost subscription (Redis
 * restart) the whole cache is dropped, since notices may have been missed.
 */
@Injectable()
export class KeyCacheService {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<KeyRecord | null>>();
  /** Bumped by every invalidation: a lookup that started before one must not cache its result. */
  private epoch = 0;
  private readonly ttlMs: number;

  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly notices: ChangeNotices,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {
    this.ttlMs = config.env.KEY_CACHE_TTL * 1000;
    notices.on('keys', (token) => this.drop(token));
    notices.onResync(() => this.dropAll());
  }

  /** The key for this hash, or null when there is none. Throws 503 when Postgres cannot be asked. */
  async lookup(token: string): Promise<KeyRecord | null> {
    const hit = this.entries.get(token);
    if (hit && hit.expiresAt > Date.now()) {
      this.metrics.keyLookup('hit');
      return hit.record;
    }
    this.metrics.keyLookup('miss');
    const pending = this.loading.get(token);
    if (pending) return pending;
    const load = this.load(token).finally(() => this.loading.delete(token));
    this.loading.set(token, load);
    return load;
  }

  /** Drops the key here and on every other gateway. */
  async invalidate(tokens: string[]): Promise<void> {
    for (const token of tokens) this.drop(token);
    await this.notices.publish('keys', tokens);
  }

  private async load(token: string): Promise<KeyRecord | null> {
    const epoch = this.epoch;
    let row: VirtualKeyEntity | null;
    try {
      row = await this.keys.findOne({ where: { token } });
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `database unavailable (Postgres): ${(err as Error).message}`);
    }
    const record = row ? toRecord(row) : null;
    if (epoch === this.epoch) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(token, { record, expiresAt: Date.now() + (record ? this.ttlMs : Math.min(this.ttlMs, NEGATIVE_TTL_MS)) });
    }
    return record;
  }

  private drop(token: string): void {
    this.epoch++;
    this.entries.delete(token);
  }

  private dropAll(): void {
    this.epoch++;
    this.entries.clear();
  }
}
