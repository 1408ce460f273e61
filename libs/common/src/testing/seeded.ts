import type { AppConfig } from '../config/config';
import { dropDatabase } from '../database/data-source';
import { seedDatabase } from '../seed/seed';

/**
 * Creates the suite's database with the schema and the deterministic `tiny` dataset (see SEED_FIXTURES for what
 * it always contains); returns a cleanup function that drops it.
 */
export async function createSeededTestDatabase(
  config: AppConfig,
  opts: { scale?: 'tiny'; seed?: number; today?: Date } = {},
): Promise<() => Promise<void>> {
  await seedDatabase(config.db, {
    scale: opts.scale ?? 'tiny',
    seed: opts.seed ?? 1,
    today: opts.today,
    reset: true,
  });
  return () => dropDatabase(config.db);
}
