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

/** Empty allow-list means every model; the master key may use all. */
export function mayUseModel(auth: AuthContext, modelName: string): boolean {
  return auth.kind === 'master' || auth.key.models.length === 0 || auth.key.models.includes(modelName);
}
