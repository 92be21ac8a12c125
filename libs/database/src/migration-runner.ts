import type { DataSource, Migration } from 'typeorm';

// Arbitrary constant shared by every Switchyard process: the advisory lock that serialises migrations.
const MIGRATION_LOCK_ID = 0x5757_1d00;

/**
 * Applies pending migrations while holding a Postgres advisory lock, so replicas that start
 * together run them once: the first applies them, the others wait and then find nothing to do.
 */
export async function runMigrationsWithLock(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await runner.release();
  }
}
