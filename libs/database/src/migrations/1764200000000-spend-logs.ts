import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SpendLogs1764200000000 implements MigrationInterface {
  name = 'SpendLogs1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "spend_logs" (
        "id" bigserial PRIMARY KEY,
        "request_id" varchar(128) NOT NULL,
        "key_token" varchar(64),
        "key_alias" varchar(255),
        "model_group" varchar(255) NOT NULL,
        "served_model_group" varchar(255),
        "deployment_id" varchar(128),
        "provider" varchar(32),
        "upstream_model" varchar(255),
        "prompt_tokens" integer NOT NULL DEFAULT 0,
        "completion_tokens" integer NOT NULL DEFAULT 0,
        "total_tokens" integer NOT NULL DEFAULT 0,
        "spend" double precision NOT NULL DEFAULT 0,
        "latency_ms" integer NOT NULL,
        "status" varchar(16) NOT NULL,
        "http_status" integer NOT NULL,
        "error_code" varchar(64),
        "stream" boolean NOT NULL DEFAULT false,
        "start_time" timestamptz NOT NULL,
        "end_time" timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "spend_logs_request_id" ON "spend_logs" ("request_id")`);
    await queryRunner.query(`CREATE INDEX "spend_logs_key_time" ON "spend_logs" ("key_token", "start_time")`);
    await queryRunner.query(`CREATE INDEX "spend_logs_time" ON "spend_logs" ("start_time")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "spend_logs"`);
  }
}
