import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type Repository } from 'typeorm';
import { dependencyUnavailable } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { VirtualKeyEntity } from '@app/database';
import { GatewayMetrics } from '@app/observability';
import { ChangeNotices, EVERY_ITEM } from '../cluster/change-notices.service';
import type { KeyRecord } from './auth-context';
import { BatchLoader } from './batch-loader';
import { ExpiringLru } from './expiring-lru';

/** The bounds of the key cache, which the README states. */
export const KEY_CACHE_BOUNDS = {
  /** Keys kept in memory; unknown keys are kept apart, so a flood of them never pushes these out. */
  maxKeys: 50_000,
  /** Hashes known to be no key: a flood of made-up keys costs memory up to this, then evicts only its own entries. */
  maxUnknown: 10_000,
  /** How long "no such key" is believed (at most KEY_CACHE_TTL); a key created meanwhile is announced and works at once. */
  unknownTtlMs: 5_000,
  /**
   * Postgres queries for keys: at most 2 at once and one every 10 ms per gateway (100 a second,
   * each for up to 500 keys), however many lookups miss; lookups that miss meanwhile wait (10 ms
   * at most while Postgres answers quickly) and share the next query.
   */
  maxQueriesInFlight: 2,
  minQueryGapMs: 10,
  maxKeysPerQuery: 500,
} as const;

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
    tags: row.tags ?? [],
  };
}

/**
 * Virtual keys by hash, in memory, so the hot path does not query Postgres. Known keys and
 * unknown hashes live in separate bounded caches; misses are read in batches. A change to a key
 * is announced to every gateway, which drops its copy. While this gateway cannot hear those
 * notices (its Redis subscription is down) it trusts no cached entry and asks Postgres, and when
 * it hears them again it drops everything, since notices may have been missed. Without any
 * notice an entry lives at most KEY_CACHE_TTL.
 */
@Injectable()
export class KeyCacheService {
  private readonly known = new ExpiringLru<KeyRecord>(KEY_CACHE_BOUNDS.maxKeys);
  private readonly unknown = new ExpiringLru<true>(KEY_CACHE_BOUNDS.maxUnknown);
  private readonly loader: BatchLoader<KeyRecord>;
  /** Bumped by every invalidation: a query that started before one must not cache its result. */
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly unknownTtlMs: number;

  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly notices: ChangeNotices,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {
    this.ttlMs = config.env.KEY_CACHE_TTL * 1000;
    this.unknownTtlMs = Math.min(this.ttlMs, KEY_CACHE_BOUNDS.unknownTtlMs);
    this.loader = new BatchLoader((tokens) => this.read(tokens), {
      maxInFlight: KEY_CACHE_BOUNDS.maxQueriesInFlight,
      maxBatch: KEY_CACHE_BOUNDS.maxKeysPerQuery,
      minGapMs: KEY_CACHE_BOUNDS.minQueryGapMs,
    });
    notices.on('keys', (token) => (token === EVERY_ITEM ? this.dropAll() : this.drop(token)));
    notices.onResync(() => this.dropAll());
  }

  /** The key for this hash, or null when there is none. Throws 503 when Postgres cannot be asked. */
  async lookup(token: string): Promise<KeyRecord | null> {
    if (this.notices.listening) {
      const hit = this.known.get(token);
      if (hit) {
        this.metrics.keyLookup('hit');
        return hit;
      }
      if (this.unknown.get(token)) {
        this.metrics.keyLookup('unknown');
        return null;
      }
    }
    this.metrics.keyLookup('miss');
    return (await this.loader.load(token)) ?? null;
  }

  /** Drops the key here and on every other gateway. */
  async invalidate(tokens: string[]): Promise<void> {
    for (const token of tokens) this.drop(token);
    await this.notices.publish('keys', tokens);
  }

  /** One query for a batch of hashes; what it found, and what it did not, is cached. */
  private async read(tokens: string[]): Promise<Map<string, KeyRecord>> {
    const epoch = this.epoch;
    this.metrics.keyQuery();
    let rows: VirtualKeyEntity[];
    try {
      rows = await this.keys.find({ where: { token: In(tokens) } });
    } catch (err) {
      // Whatever went wrong, the keys could not be checked: never a 401, never the driver's words.
      throw dependencyUnavailable('database', err);
    }
    const found = new Map(rows.map((row) => [row.token, toRecord(row)]));
    // Kept only if no change was announced while it was read, and notices can be heard.
    if (epoch === this.epoch && this.notices.listening) {
      for (const token of tokens) {
        const record = found.get(token);
        if (record) this.known.set(token, record, this.ttlMs);
        else this.unknown.set(token, true, this.unknownTtlMs);
      }
    }
    return found;
  }

  private drop(token: string): void {
    this.epoch++;
    this.known.delete(token);
    this.unknown.delete(token);
  }

  private dropAll(): void {
    this.epoch++;
    this.known.clear();
    this.unknown.clear();
  }
}
