import type { AppConfig } from '@app/platform';
import { removeTestStorage } from './test-env';
import { seedDatabase } from '../../tools/seed/seed';

/**
 * Creates the suite's database with the schema and the deterministic `tiny` dataset (see SEED_FIXTURES for what
 * it always contains); returns a cleanup function that drops it and deletes the suite's keys.
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
  return () => removeTestStorage(config);
}
