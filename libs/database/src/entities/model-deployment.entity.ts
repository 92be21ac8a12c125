import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A model added through the API (STORE_MODEL_IN_DB). The same shape as a config.yaml
 * `model_list` entry; secret params in `litellmParams` are sealed (AES-256-GCM, SALT_KEY).
 */
@Entity({ name: 'model_deployments' })
export class ModelDeploymentEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  @Column({ name: 'model_name', type: 'varchar', length: 255 })
  modelName: string;

  @Column({ name: 'litellm_params', type: 'jsonb' })
  litellmParams: Record<string, unknown>;

  @Column({ name: 'model_info', type: 'jsonb', default: () => "'{}'" })
  modelInfo: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
