import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A key keeps one id for life (its token changes when it is regenerated): spend and limits
 * follow the id, so calls in flight during a regeneration are charged to the key they ran
 * under. Token counts and their sums are bigint.
 */
export class StableKeyIdsAndBigintTokens1764300000000 implements MigrationInterface {
  name = 'StableKeyIdsAndBigintTokens1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "virtual_keys" ADD COLUMN "id" uuid NOT NULL DEFAULT gen_random_uuid()`);
    await queryRunner.query(`CREATE UNIQUE INDEX "virtual_keys_id_key" ON "virtual_keys" ("id")`);
    await queryRunner.query(`
      ALTER TABLE "spend_logs"
        ADD COLUMN "key_id" uuid,
        ALTER COLUMN "prompt_tokens" TYPE bigint,
        ALTER COLUMN "completion_tokens" TYPE bigint,
        ALTER COLUMN "total_tokens" TYPE bigint`);
    await queryRunner.query(`UPDATE "spend_logs" l SET "key_id" = k."id" FROM "virtual_keys" k WHERE k."token" = l."key_token"`);
    await queryRunner.query(`CREATE INDEX "spend_logs_key_id_time" ON "spend_logs" ("key_id", "start_time")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "spend_logs_key_id_time"`);
    await queryRunner.query(`
      ALTER TABLE "spend_logs"
        DROP COLUMN "key_id",
        ALTER COLUMN "prompt_tokens" TYPE integer,
        ALTER COLUMN "completion_tokens" TYPE integer,
        ALTER COLUMN "total_tokens" TYPE integer`);
    await queryRunner.query(`DROP INDEX "virtual_keys_id_key"`);
    await queryRunner.query(`ALTER TABLE "virtual_keys" DROP COLUMN "id"`);
  }
}
