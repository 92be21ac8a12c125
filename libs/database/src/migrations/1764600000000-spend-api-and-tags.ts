import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which API a call came through and its tags, on its spend log row; tags on keys, added to their calls'. */
export class SpendApiAndTags1764600000000 implements MigrationInterface {
  name = 'SpendApiAndTags1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "spend_logs" ADD COLUMN "api" varchar(32), ADD COLUMN "tags" text[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`CREATE INDEX "spend_logs_tags" ON "spend_logs" USING gin ("tags")`);
    await queryRunner.query(`ALTER TABLE "virtual_keys" ADD COLUMN "tags" text[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "virtual_keys" DROP COLUMN "tags"`);
    await queryRunner.query(`DROP INDEX "spend_logs_tags"`);
    await queryRunner.query(`ALTER TABLE "spend_logs" DROP COLUMN "tags", DROP COLUMN "api"`);
  }
}
