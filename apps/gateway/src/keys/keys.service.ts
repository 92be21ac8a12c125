import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, QueryFailedError, type Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { VirtualKeyEntity } from '@app/database';
import { KeyCacheService } from '../auth/key-cache.service';
import { hashKey, isKeyHash, newVirtualKey, shortKeyName, tokenOf } from '../auth/key-material';
import { orUnavailable } from '../http/or-unavailable';
import { ModelCatalog } from '../models/model-catalog.service';
import { SpendLogWriter } from '../spend/spend-log.writer';
import { type GenerateKeyRequest, type KeySettings, durationMs } from './key-requests.schema';

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
    private readonly spendLogs: SpendLogWriter,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async generate(request: GenerateKeyRequest) {
    const key = request.key ?? newVirtualKey();
    if (key === this.config.env.MASTER_KEY) throw new SwitchyardError('invalid_request', 'a virtual key must differ from the master key', { param: 'key' });
    const row = this.keys.create({ token: hashKey(key), keyName: shortKeyName(key), spend: 0 });
    this.apply(row, request);
    await this.save(row, () => this.keys.insert(row as QueryDeepPartialEntity<VirtualKeyEntity>), request.key ? 'this key already exists' : undefined);
    // A lookup of this hash may have been cached as unknown moments ago.
    await this.cache.invalidate([row.token]);
    return { key, ...keyInfo(await this.row(row.token)) };
  }

  /** Fields not sent stay as they are; `duration` starts again from now. */
  async update(keyOrHash: string, settings: KeySettings) {
    const row = await this.row(tokenOf(keyOrHash));
    this.apply(row, settings);
    await this.save(row, () => this.keys.save(row));
    await this.cache.invalidate([row.token]);
    return keyInfo(await this.row(row.token));
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
        const missing = [...keysOrHashes.filter((k) => !found.has(tokenOf(k))).map(display), ...aliases.filter((a) => !foundAliases.has(a)).map((a) => `alias "${a}"`)];
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

  /** A new secret with the same settings and spend; the old one stops working at once. */
  async regenerate(keyOrHash: string, newKey?: string) {
    const old = await this.row(tokenOf(keyOrHash));
    const key = newKey ?? newVirtualKey();
    const token = hashKey(key);
    // The key's spend history and the spend still waiting to be written follow it to its new hash.
    this.spendLogs.retarget(old.token, token);
    await this.save(
      old,
      () =>
        this.keys.manager.transaction(async (tx) => {
          await tx.update(VirtualKeyEntity, { token: old.token }, { token, keyName: shortKeyName(key) });
          await tx.query('UPDATE spend_logs SET key_token = $2 WHERE key_token = $1', [old.token, token]);
        }),
      'new_key is already used by another key',
    );
    await this.cache.invalidate([old.token, token]);
    return { key, ...keyInfo(await this.row(token)) };
  }

  private async row(token: string): Promise<VirtualKeyEntity> {
    const row = await orUnavailable(this.keys.findOneBy({ token }));
    if (!row) throw new SwitchyardError('not_found', 'key not found', { param: 'key' });
    return row;
  }

  /** Copies the settings that were sent onto the row, checking model names against the catalog. */
  private apply(row: VirtualKeyEntity, s: KeySettings): void {
    const now = Date.now();
    if (s.models !== undefined) {
      const known = new Set(this.catalog.models.modelNames());
      const unknown = s.models.filter((m) => !known.has(m));
      if (unknown.length) {
        throw new SwitchyardError('invalid_request', `unknown model(s): ${unknown.join(', ')}; known models: ${[...known].join(', ')}`, { param: 'models' });
      }
      row.models = [...new Set(s.models)];
    }
    if (s.key_alias !== undefined) row.keyAlias = s.key_alias;
    if (s.duration !== undefined) row.expires = s.duration === null ? null : new Date(now + durationMs(s.duration));
    if (s.max_budget !== undefined) row.maxBudget = s.max_budget;
    if (s.budget_duration !== undefined) {
      row.budgetDuration = s.budget_duration;
      row.budgetResetAt = s.budget_duration === null ? null : new Date(now + durationMs(s.budget_duration));
    }
    if (s.rpm_limit !== undefined) row.rpmLimit = s.rpm_limit;
    if (s.tpm_limit !== undefined) row.tpmLimit = s.tpm_limit;
    if (s.max_parallel_requests !== undefined) row.maxParallelRequests = s.max_parallel_requests;
    if (s.metadata !== undefined) row.metadata = s.metadata;
    if (s.blocked !== undefined) row.blocked = s.blocked;
    row.keyAlias ??= null;
    row.models ??= [];
    row.metadata ??= {};
    row.blocked ??= false;
  }

  private async save(row: VirtualKeyEntity, write: () => Promise<unknown>, tokenTaken?: string): Promise<void> {
    try {
      await orUnavailable(write());
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const detail = (err as QueryFailedError & { driverError: { constraint?: string } }).driverError.constraint ?? '';
      if (detail.includes('alias')) {
        throw new SwitchyardError('invalid_request', `key_alias "${row.keyAlias}" is already used by another key`, { param: 'key_alias' });
      }
      throw new SwitchyardError('invalid_request', tokenTaken ?? 'this key already exists', { param: 'key' });
    }
  }
}
