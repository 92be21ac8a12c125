import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type IORedis from 'ioredis';
import type { Repository } from 'typeorm';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { VirtualKeyEntity } from '@app/database';
import { closeRedis, createRedisConnection } from '@app/queue';
import type { KeyRecord } from './auth-context';

// Unknown keys are remembered briefly so a flood of bad keys does not become a flood of queries.
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

interface Entry {
  record: KeyRecord | null;
  expiresAt: number;
}

function toRecord(row: VirtualKeyEntity): KeyRecord {
  return {
    token: row.token,
    keyName: row.keyName,
    keyAlias: row.keyAlias,
    models: row.models,
    metadata: row.metadata,
    expires: row.expires,
    blocked: row.blocked,
  };
}

/**
 * Virtual keys by hash, in memory, so the hot path does not query Postgres. A change to a key
 * is published on a Redis channel and every gateway drops its copy; after a lost subscription
 * (Redis restart) the whole cache is dropped, since messages may have been missed.
 */
@Injectable()
export class KeyCacheService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeyCacheService.name);
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<KeyRecord | null>>();
  /** Bumped by every invalidation: a lookup that started before one must not cache its result. */
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly channel: string;
  private subscriber?: IORedis;
  private publisher?: IORedis;

  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.ttlMs = config.env.KEY_CACHE_TTL * 1000;
    this.channel = `${config.env.QUEUE_PREFIX}:keys:invalidate`;
    this.redisUrl = config.env.REDIS_URL;
  }

  private readonly redisUrl: string;

  async onModuleInit(): Promise<void> {
    this.publisher = createRedisConnection(this.redisUrl, 'request-path', 'switchyard:gateway-keys');
    this.subscriber = createRedisConnection(this.redisUrl, 'blocking', 'switchyard:gateway-keys-sub');
    this.subscriber.on('message', (_channel: string, token: string) => this.drop(token));
    let subscribedBefore = false;
    this.subscriber.on('ready', () => {
      if (subscribedBefore) this.dropAll();
      subscribedBefore = true;
    });
    this.subscriber.on('error', () => undefined);
    await this.subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.subscriber, this.publisher].filter((c): c is IORedis => !!c).map(closeRedis));
  }

  /** The key for this hash, or null when there is none. Throws 503 when Postgres cannot be asked. */
  async lookup(token: string): Promise<KeyRecord | null> {
    const hit = this.entries.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit.record;
    const pending = this.loading.get(token);
    if (pending) return pending;
    const load = this.load(token).finally(() => this.loading.delete(token));
    this.loading.set(token, load);
    return load;
  }

  /** Drops the key here and on every other gateway. */
  async invalidate(tokens: string[]): Promise<void> {
    for (const token of tokens) this.drop(token);
    await Promise.all(
      tokens.map((token) =>
        this.publisher?.publish(this.channel, token).catch((err: Error) => {
          this.logger.warn(`could not tell other gateways about a key change: ${err.message}`);
        }),
      ),
    );
  }

  private async load(token: string): Promise<KeyRecord | null> {
    const epoch = this.epoch;
    let row: VirtualKeyEntity | null;
    try {
      row = await this.keys.findOne({ where: { token } });
    } catch (err) {
      throw new SwitchyardError('service_unavailable', `key store unavailable (Postgres): ${(err as Error).message}`);
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
