import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A virtual key. Only the SHA-256 of the secret is stored; the plaintext is shown once, at creation. */
@Entity({ name: 'virtual_keys' })
export class VirtualKeyEntity {
  /** Hex SHA-256 of the plaintext key (LiteLLM calls this the key's `token`); a new one when the key is regenerated. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  token: string;

  /** Stays the same for the key's life, while its token changes when it is regenerated: spend and limits follow it. */
  @Index('virtual_keys_id_key', { unique: true })
  @Column({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id: string;

  /** Short, non-secret form for display: `sk-...abcd`. */
  @Column({ name: 'key_name', type: 'varchar', length: 32 })
  keyName: string;

  @Column({ name: 'key_alias', type: 'varchar', length: 255, nullable: true })
  keyAlias: string | null;

  /** Model names this key may call; empty means all. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  models: string[];

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata: Record<string, unknown>;

  @Column({ type: 'timestamptz', nullable: true })
  expires: Date | null;

  @Column({ type: 'boolean', default: false })
  blocked: boolean;

  /** USD spent; compared with `maxBudget` before each call. */
  @Column({ type: 'double precision', default: 0 })
  spend: number;

  /** USD; null = no budget. */
  @Column({ name: 'max_budget', type: 'double precision', nullable: true })
  maxBudget: number | null;

  /** LiteLLM duration (`30d`, `1h`) after which spend starts again from 0; null = never. */
  @Column({ name: 'budget_duration', type: 'varchar', length: 32, nullable: true })
  budgetDuration: string | null;

  @Column({ name: 'budget_reset_at', type: 'timestamptz', nullable: true })
  budgetResetAt: Date | null;

  @Column({ name: 'rpm_limit', type: 'integer', nullable: true })
  rpmLimit: number | null;

  @Column({ name: 'tpm_limit', type: 'integer', nullable: true })
  tpmLimit: number | null;

  @Column({ name: 'max_parallel_requests', type: 'integer', nullable: true })
  maxParallelRequests: number | null;

  /** LiteLLM's key `tags`: added to the tags of every call the key makes. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
