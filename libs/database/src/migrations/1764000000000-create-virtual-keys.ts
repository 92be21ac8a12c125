import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateVirtualKeys1764000000000 implements MigrationInterface {
  name = 'CreateVirtualKeys1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "virtual_keys" (
        "token" varchar(64) PRIMARY KEY,
        "key_name" varchar(32) NOT NULL,
        "key_alias" varchar(255),
        "models" text[] NOT NULL DEFAULT '{}',
        "metadata" jsonb NOT NULL DEFAULT '{}',
        "expires" timestamptz,
        "blocked" boolean NOT NULL DEFAULT false,
        "spend" double precision NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "virtual_keys_key_alias_key" ON "virtual_keys" ("key_alias") WHERE "key_alias" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "virtual_keys"`);
  }
}
