import { Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

/** bigint columns as JS numbers: exact up to 2^53, far beyond any token count. */
const BIGINT_AS_NUMBER: ValueTransformer = { to: (value: number) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

/** One call's outcome: who, which model and deployment, tokens, cost, time. Written in batches. */
@Entity({ name: 'spend_logs' })
@Index('spend_logs_key_time', ['keyToken', 'startTime'])
@Index('spend_logs_time', ['startTime'])
@Index('spend_logs_key_id_time', ['keyId', 'startTime'])
export class SpendLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Index('spend_logs_request_id')
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  /** Hash of the virtual key when the call was made; null for the master key. */
  @Column({ name: 'key_token', type: 'varchar', length: 64, nullable: true })
  keyToken: string | null;

  /** The virtual key's id (`virtual_keys.id`), which outlives regenerations; null for the master key. */
  @Column({ name: 'key_id', type: 'uuid', nullable: true })
  keyId: string | null;

  @Column({ name: 'key_alias', type: 'varchar', length: 255, nullable: true })
  keyAlias: string | null;

  /** The `model` the client asked for. */
  @Column({ name: 'model_group', type: 'varchar', length: 255 })
  modelGroup: string;

  /** The group that served it: the requested one or a fallback. */
  @Column({ name: 'served_model_group', type: 'varchar', length: 255, nullable: true })
  servedModelGroup: string | null;

  @Column({ name: 'deployment_id', type: 'varchar', length: 128, nullable: true })
  deploymentId: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  provider: string | null;

  /** The model name the upstream knows. */
  @Column({ name: 'upstream_model', type: 'varchar', length: 255, nullable: true })
  upstreamModel: string | null;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0, transformer: BIGINT_AS_NUMBER })
  promptTokens: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0, transformer: BIGINT_AS_NUMBER })
  completionTokens: number;

  @Column({ name: 'total_tokens', type: 'bigint', default: 0, transformer: BIGINT_AS_NUMBER })
  totalTokens: number;

  /** USD. */
  @Column({ type: 'double precision', default: 0 })
  spend: number;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs: number;

  /** `success`, `failure` or `cancelled`. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ name: 'http_status', type: 'integer' })
  httpStatus: number;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'boolean', default: false })
  stream: boolean;

  /** The API the call came through: `chat_completions`, `responses`, `messages`, …; null for rows from before it was kept. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  api: string | null;

  /** The call's tags: its key's and its `x-litellm-tags`. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags: string[];

  @Column({ name: 'start_time', type: 'timestamptz' })
  startTime: Date;

  @Column({ name: 'end_time', type: 'timestamptz' })
  endTime: Date;
}
