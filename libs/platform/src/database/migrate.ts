import { DataSource } from 'typeorm';
import { DbSettings, createDataSource, ensureDatabase } from './data-source';

/** Creates the database if needed and applies pending migrations; returns the names applied. */
export async function migrateDatabase(db: DbSettings): Promise<string[]> {
  await ensureDatabase(db);
  const ds = createDataSource({ ...db, poolSize: 2 });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** Reverts every applied migration (tests, and `--reset`). */
export async function revertAllMigrations(ds: DataSource): Promise<number> {
  let reverted = 0;
  for (;;) {
    const executed: Array<{ name: string }> = await ds
      .query(`SELECT name FROM cmiyc_migrations`)
      .catch(() => []);
    if (executed.length === 0) return reverted;
    await ds.undoLastMigration({ transaction: 'each' });
    reverted++;
  }
}
