import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, QueryFailedError, type Repository } from 'typeorm';
import { SwitchyardError } from '@app/contracts';
import { GatewayConfig } from '@app/config';
import { VirtualKeyEntity } from '@app/database';
import { KeyCacheService } from '../auth/key-cache.service';
import { hashKey, newVirtualKey, shortKeyName, tokenOf } from '../auth/key-material';
import { type GenerateKeyRequest, durationMs } from './key-requests.schema';

const UNIQUE_VIOLATION = '23505';

/** The key as the admin API shows it (LiteLLM field names). Never the plaintext. */
export function keyInfo(row: VirtualKeyEntity) {
  return {
    token: row.token,
    key_name: row.keyName,
    key_alias: row.keyAlias,
    models: row.models,
    metadata: row.metadata,
    expires: row.expires?.toISOString() ?? null,
    blocked: row.blocked,
    spend: row.spend,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof QueryFailedError || err instanceof SwitchyardError) throw err;
    throw new SwitchyardError('service_unavailable', `key store unavailable (Postgres): ${(err as Error).message}`);
  }
}

@Injectable()
export class KeysService {
  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    private readonly cache: KeyCacheService,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  async generate(request: GenerateKeyRequest) {
    const known = new Set(this.config.models.modelNames());
    const unknown = request.models.filter((m) => !known.has(m));
    if (unknown.length) {
      throw new SwitchyardError('invalid_request', `unknown model(s): ${unknown.join(', ')}; known models: ${[...known].join(', ')}`, { param: 'models' });
    }
    const key = newVirtualKey();
    const row = this.keys.create({
      token: hashKey(key),
      keyName: shortKeyName(key),
      keyAlias: request.key_alias ?? null,
      models: [...new Set(request.models)],
      metadata: request.metadata,
      expires: request.duration ? new Date(Date.now() + durationMs(request.duration)) : null,
      blocked: false,
      spend: 0,
    });
    try {
      await orUnavailable(this.keys.save(row));
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new SwitchyardError('invalid_request', `key_alias "${request.key_alias}" is already used by another key`, { param: 'key_alias' });
      }
      throw err;
    }
    // A lookup of this hash may have been cached as unknown moments ago.
    await this.cache.invalidate([row.token]);
    const saved = await orUnavailable(this.keys.findOneByOrFail({ token: row.token }));
    return { key, ...keyInfo(saved) };
  }

  /** By plaintext or hash. */
  async info(keyOrHash: string) {
    const row = await orUnavailable(this.keys.findOneBy({ token: tokenOf(keyOrHash) }));
    if (!row) throw new SwitchyardError('not_found', 'key not found');
    return keyInfo(row);
  }

  /** All or nothing: when one of the keys does not exist, none is deleted. */
  async delete(keysOrHashes: string[]): Promise<string[]> {
    const tokens = [...new Set(keysOrHashes.map(tokenOf))];
    await orUnavailable(
      this.keys.manager.transaction(async (tx) => {
        const found = await tx.find(VirtualKeyEntity, { where: { token: In(tokens) }, select: { token: true } });
        if (found.length !== tokens.length) {
          const foundSet = new Set(found.map((r) => r.token));
          const missing = keysOrHashes.filter((k) => !foundSet.has(tokenOf(k)));
          throw new SwitchyardError('not_found', `key(s) not found: ${missing.map(display).join(', ')}; nothing was deleted`, { param: 'keys' });
        }
        await tx.delete(VirtualKeyEntity, { token: In(tokens) });
      }),
    );
    await this.cache.invalidate(tokens);
    return keysOrHashes;
  }
}

/** Errors may name a key the caller sent, but only in its short form. */
function display(keyOrHash: string): string {
  return /^[0-9a-f]{64}$/.test(keyOrHash) ? `${keyOrHash.slice(0, 8)}…` : shortKeyName(keyOrHash);
}
