import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, QueryFailedError, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig, unknownModelEntries } from '@app/config';
import { sameSecret } from '@app/observability';
import { VirtualKeyEntity } from '@app/database';
import { KeyCacheService } from '../auth/key-cache.service';
import { hashKey, isKeyHash, newVirtualKey, shortKeyName, tokenOf } from '../auth/key-material';
import { orUnavailable } from '../http/or-unavailable';
import { ModelCatalog } from '../models/model-catalog.service';
import { endOf } from './durations';
import type { GenerateKeyRequest, KeySettings } from './key-requests.schema';

const UNIQUE_VIOLATION = '23505';

/** The key as the admin API shows it (LiteLLM field names). Never the plaintext. */
export function keyInfo(row: VirtualKeyEntity) {
  return {
    token: row.token,
    key_name: row.keyName,
    key_alias: row.keyAlias,
    models: row.models,
    spend: row.spend,
    max_budget: row.maxBudget,
    budget_duration: row.budgetDuration,
    budget_reset_at: row.budgetResetAt?.toISOString() ?? null,
    rpm_limit: row.rpmLimit,
    tpm_limit: row.tpmLimit,
    max_parallel_requests: row.maxParallelRequests,
    metadata: row.metadata,
    tags: row.tags,
    expires: row.expires?.toISOString() ?? null,
    blocked: row.blocked,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export type KeyInfo = ReturnType<typeof keyInfo>;

/** Errors may name a key the caller sent, but only in its short form. */
function display(keyOrHash: string): string {
  return isKeyHash(keyOrHash) ? `${keyOrHash.slice(0, 8)}…` : shortKeyName(keyOrHash);
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}

/** LiteLLM's key management. Every change drops the key from every gateway's cache. */
@Injectable()
export class KeysService {
  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    private readonly cache: KeyCacheService,
    private readonly catalog: ModelCatalog,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async generate(request: GenerateKeyRequest) {
    const key = this.secretFor(request.key, 'key');
    const row = {
      token: hashKey(key),
      keyName: shortKeyName(key),
      spend: 0,
      keyAlias: null,
      models: [],
      metadata: {},
      blocked: false,
      tags: [],
      ...this.columnsFor(request),
    };
    await this.save(() => this.keys.insert(row as QueryDeepPartialEntity<VirtualKeyEntity>), row.keyAlias);
    // A lookup of this hash may have been cached as unknown moments ago.
    await this.cache.invalidate([row.token]);
    return { key, ...keyInfo(await this.row(row.token)) };
  }

  /**
   * Writes only the fields sent (`duration` starts again from now): never a whole row read
   * earlier, whose `spend` the spend log writer may have raised since.
   */
  async update(keyOrHash: string, settings: KeySettings) {
    const token = tokenOf(keyOrHash);
    const columns = this.columnsFor(settings);
    if (Object.keys(columns).length) {
      const result = await this.save(() => this.keys.update({ token }, columns as QueryDeepPartialEntity<VirtualKeyEntity>), columns.keyAlias);
      if (!result.affected) throw new SwitchyardError('not_found', 'key not found', { param: 'key' });
      await this.cache.invalidate([token]);
    }
    return keyInfo(await this.row(token));
  }

  /** By plaintext or hash. */
  async info(keyOrHash: string) {
    return keyInfo(await this.row(tokenOf(keyOrHash)));
  }

  async list(options: { page: number; size: number; keyAlias?: string }) {
    const [rows, total] = await orUnavailable(
      this.keys.findAndCount({
        where: options.keyAlias ? { keyAlias: options.keyAlias } : {},
        order: { createdAt: 'DESC', token: 'ASC' },
        skip: (options.page - 1) * options.size,
        take: options.size,
      }),
    );
    return { rows, total };
  }

  /** All or nothing: when one of the keys or aliases does not exist, none is deleted. */
  async delete(keysOrHashes: string[], aliases: string[]): Promise<string[]> {
    const tokens = [...new Set(keysOrHashes.map(tokenOf))];
    const deleted = await orUnavailable(
      this.keys.manager.transaction(async (tx) => {
        const byToken = tokens.length ? await tx.find(VirtualKeyEntity, { where: { token: In(tokens) }, select: { token: true } }) : [];
        const byAlias = aliases.length ? await tx.find(VirtualKeyEntity, { where: { keyAlias: In(aliases) }, select: { token: true, keyAlias: true } }) : [];
        const found = new Set(byToken.map((r) => r.token));
        const foundAliases = new Set(byAlias.map((r) => r.keyAlias));
        const missing = [
          ...keysOrHashes.filter((k) => !found.has(tokenOf(k))).map(display),
          ...aliases.filter((a) => !foundAliases.has(a)).map((a) => `alias "${a}"`),
        ];
        if (missing.length) {
          throw new SwitchyardError('not_found', `key(s) not found: ${missing.join(', ')}; nothing was deleted`, { param: 'keys' });
        }
        const all = [...new Set([...found, ...byAlias.map((r) => r.token)])];
        await tx.delete(VirtualKeyEntity, { token: In(all) });
        return all;
      }),
    );
    await this.cache.invalidate(deleted);
    return [...keysOrHashes, ...aliases];
  }

  /**
   * A new secret with the same settings and spend; the old one stops working at once. The key
   * keeps its id, by which spend and limits are kept, so calls still running under the old
   * secret are charged to it, and its spend history stays with it.
   */
  async regenerate(keyOrHash: string, newKey?: string) {
    const old = await this.row(tokenOf(keyOrHash));
    const key = this.secretFor(newKey, 'new_key');
    const token = hashKey(key);
    // Only if nobody regenerated or deleted it meanwhile: one of two racing regenerations wins.
    const result = await this.save(() => this.keys.update({ id: old.id, token: old.token }, { token, keyName: shortKeyName(key) }), null, 'new_key');
    if (!result.affected) throw new SwitchyardError('not_found', 'key not found (it was just regenerated or deleted)', { param: 'key' });
    await this.cache.invalidate([old.token, token]);
    return { key, ...keyInfo(await this.row(token)) };
  }

  /** The secret of a new or regenerated key: the one sent, or a new one; never the master key, which would shadow it. */
  private secretFor(given: string | undefined, param: 'key' | 'new_key'): string {
    if (given !== undefined && sameSecret(given, this.config.env.MASTER_KEY)) {
      throw new SwitchyardError('invalid_request', 'a virtual key must differ from the master key', { param });
    }
    return given ?? newVirtualKey();
  }

  private async row(token: string): Promise<VirtualKeyEntity> {
    const row = await orUnavailable(this.keys.findOneBy({ token }));
    if (!row) throw new SwitchyardError('not_found', 'key not found', { param: 'key' });
    return row;
  }

  /** The columns for the settings that were sent, checking model names against the catalog. */
  private columnsFor(s: KeySettings): Partial<VirtualKeyEntity> {
    const now = new Date();
    const columns: Partial<VirtualKeyEntity> = {};
    if (s.models !== undefined) {
      const models = this.catalog.models;
      const unknown = unknownModelEntries(s.models, models);
      if (unknown.length) {
        const known = [...models.modelNames(), ...models.accessGroupNames()];
        throw new SwitchyardError('invalid_request', `unknown model(s): ${unknown.join(', ')}; known models and access groups: ${known.join(', ')}`, {
          param: 'models',
        });
      }
      columns.models = [...new Set(s.models)];
    }
    if (s.key_alias !== undefined) columns.keyAlias = s.key_alias;
    if (s.duration !== undefined) columns.expires = s.duration === null ? null : endOf(s.duration, now);
    if (s.max_budget !== undefined) columns.maxBudget = s.max_budget;
    if (s.budget_duration !== undefined) {
      columns.budgetDuration = s.budget_duration;
      columns.budgetResetAt = s.budget_duration === null ? null : endOf(s.budget_duration, now);
    }
    if (s.rpm_limit !== undefined) columns.rpmLimit = s.rpm_limit;
    if (s.tpm_limit !== undefined) columns.tpmLimit = s.tpm_limit;
    if (s.max_parallel_requests !== undefined) columns.maxParallelRequests = s.max_parallel_requests;
    if (s.metadata !== undefined) columns.metadata = s.metadata;
    if (s.blocked !== undefined) columns.blocked = s.blocked;
    if (s.tags !== undefined) columns.tags = [...new Set(s.tags)];
    return columns;
  }

  /** Runs a write; a taken alias or key becomes a 400 naming it (`keyParam`: the field that carried the key). */
  private async save<T>(write: () => Promise<T>, alias: string | null | undefined, keyParam: 'key' | 'new_key' = 'key'): Promise<T> {
    try {
      return await orUnavailable(write());
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const detail = (err as QueryFailedError & { driverError: { constraint?: string } }).driverError.constraint ?? '';
      if (detail.includes('alias')) {
        throw new SwitchyardError('invalid_request', `key_alias "${alias}" is already used by another key`, { param: 'key_alias' });
      }
      throw new SwitchyardError('invalid_request', `this ${keyParam} is already used by another key`, { param: keyParam });
    }
  }
}
