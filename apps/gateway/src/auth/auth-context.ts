import { type ModelRegistry, modelAllowed } from '@app/config';

/** What the gateway keeps in memory about a virtual key. Never the plaintext. */
export interface KeyRecord {
  /** Stable for the key's life; spend and limits are kept by it. */
  id: string;
  /** Hash of the key's current secret. */
  token: string;
  keyName: string;
  keyAlias: string | null;
  models: string[];
  metadata: Record<string, unknown>;
  expires: Date | null;
  blocked: boolean;
  spend: number;
  maxBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  /** Added to the tags of every call the key makes (its spend log rows). */
  tags: string[];
}

export type AuthContext = { kind: 'master' } | { kind: 'virtual'; key: KeyRecord };

/**
 * The master key may use every model; a virtual key what its `models` allow (empty: all; names,
 * wildcard patterns, access groups: `modelAllowed`). The one access check of every endpoint.
 */
export function mayUseModel(auth: AuthContext, modelName: string, models: ModelRegistry): boolean {
  return auth.kind === 'master' || modelAllowed(auth.key.models, modelName, models);
}
