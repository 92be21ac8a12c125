import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KeyLimitsAndStoredModels1764100000000 implements MigrationInterface {
  name = 'KeyLimitsAndStoredModels1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "virtual_keys"
        ADD COLUMN "max_budget" double precision,
        ADD COLUMN "budget_duration" varchar(32),
        ADD COLUMN "budget_reset_at" timestamptz,
        ADD COLUMN "rpm_limit" integer,
        ADD COLUMN "tpm_limit" integer,
        ADD COLUMN "max_parallel_requests" integer`);
    await queryRunner.query(`CREATE INDEX "virtual_keys_created_at" ON "virtual_keys" ("created_at")`);
    await queryRunner.query(`
      CREATE TABLE "model_deployments" (
        "id" varchar(128) PRIMARY KEY,
        "model_name" varchar(255) NOT NULL,
        "litellm_params" jsonb NOT NULL,
        "model_info" jsonb NOT NULL DEFAULT '{}',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "model_deployments"`);
    await queryRunner.query(`DROP INDEX "virtual_keys_created_at"`);
    await queryRunner.query(`
      ALTER TABLE "virtual_keys"
        DROP COLUMN "max_budget", DROP COLUMN "budget_duration", DROP COLUMN "budget_reset_at",
        DROP COLUMN "rpm_limit", DROP COLUMN "tpm_limit", DROP COLUMN "max_parallel_requests"`);
  }
}
