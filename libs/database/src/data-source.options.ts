import type { DataSourceOptions } from 'typeorm';
import { ModelDeploymentEntity } from './entities/model-deployment.entity';
import { SpendLogEntity } from './entities/spend-log.entity';
import { StoredResponseEntity } from './entities/stored-response.entity';
import { VirtualKeyEntity } from './entities/virtual-key.entity';
import { CreateVirtualKeys1764000000000 } from './migrations/1764000000000-create-virtual-keys';
import { KeyLimitsAndStoredModels1764100000000 } from './migrations/1764100000000-key-limits-and-stored-models';
import { SpendLogs1764200000000 } from './migrations/1764200000000-spend-logs';
import { StableKeyIdsAndBigintTokens1764300000000 } from './migrations/1764300000000-stable-key-ids-and-bigint-tokens';
import { StoredResponses1764480000000 } from './migrations/1764480000000-stored-responses';
import { SpendApiAndTags1764600000000 } from './migrations/1764600000000-spend-api-and-tags';

export const ENTITIES = [VirtualKeyEntity, ModelDeploymentEntity, SpendLogEntity, StoredResponseEntity];
export const MIGRATIONS = [
  CreateVirtualKeys1764000000000,
  KeyLimitsAndStoredModels1764100000000,
  SpendLogs1764200000000,
  StableKeyIdsAndBigintTokens1764300000000,
  StoredResponses1764480000000,
  SpendApiAndTags1764600000000,
];

/** Connection settings shared by the app, `npm run migration:run` and tests. Schema changes only through migrations. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    // Fail fast when Postgres is unreachable so requests get a 503 instead of hanging.
    extra: { connectionTimeoutMillis: 3000, max: 10 },
  };
}

/** `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
