import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Responses API answers kept for `previous_response_id`, `GET` and `DELETE /v1/responses/{id}`; a key's go with it. */
export class StoredResponses1764480000000 implements MigrationInterface {
  name = 'StoredResponses1764480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "stored_responses" (
        "id" varchar(64) PRIMARY KEY,
        "key_id" uuid REFERENCES "virtual_keys" ("id") ON DELETE CASCADE,
        "previous_response_id" varchar(64),
        "input" json NOT NULL,
        "response" json NOT NULL,
        "created_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "stored_responses_key_id" ON "stored_responses" ("key_id")`);
    await queryRunner.query(`CREATE INDEX "stored_responses_expires_at" ON "stored_responses" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stored_responses"`);
  }
}
