import { AppConfig } from '@app/platform';
import { migrateDatabase } from '@app/platform';
import { isDatabaseEmpty, SeedProgress, seedDatabase } from '../seed/seed';

export interface PrepareReport {
  migrationsApplied: string[];
  /** The scale generated, or null when the database already had data (a dump or an earlier start). */
  seeded: AppConfig['seedScale'] | null;
}

/**
 * What `npm start` and the compose `seed` job do before the apps start: create DB_NAME and apply pending
 * migrations, then generate the SEED_SCALE dataset when the database is empty. A loaded dump or earlier data
 * is never touched.
 */
export async function prepareDatabase(
  config: AppConfig,
  log: (line: string) => void,
  onProgress?: (p: SeedProgress) => void,
): Promise<PrepareReport> {
  const applied = await migrateDatabase(config.db);
  log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'schema up to date');
  if (!(await isDatabaseEmpty(config.db))) {
    log(`${config.db.name} already has data; not generating any`);
    return { migrationsApplied: applied, seeded: null };
  }
  log(`${config.db.name} is empty: generating the "${config.seedScale}" dataset (SEED_SCALE)`);
  const summary = await seedDatabase(config.db, { scale: config.seedScale, onProgress });
  log(
    `generated the "${config.seedScale}" dataset: ${summary.totalRows.toLocaleString('en')} rows in ${summary.seconds.toFixed(1)} s`,
  );
  return { migrationsApplied: applied, seeded: config.seedScale };
}

/** "booking  412,000 / 520,000 rows (79 %)" for a progress line. */
export function describeProgress(p: SeedProgress): string {
  const pct = p.allTotal ? Math.floor((100 * p.allDone) / p.allTotal) : 100;
  return `${p.table.padEnd(16)} ${p.allDone.toLocaleString('en')} / ${p.allTotal.toLocaleString('en')} rows (${pct} %)`;
}
