import { randomBytes } from 'node:crypto';
import { AppConfig, DbEngine, loadConfig } from '../config/config';
import { dropDatabase } from '../database/data-source';
import { migrateDatabase } from '../database/migrate';

/**
 * Test configuration: the machine's MariaDB/PostgreSQL/Redis, a database and key prefix of the suite's own,
 * so suites can run in parallel and never touch flughafendb_large or another suite's keys.
 */
export const TEST_ENGINES: DbEngine[] = ['mysql', 'postgres'];

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function testConfig(engine: DbEngine, overrides: NodeJS.ProcessEnv = {}): AppConfig {
  const suffix = uniqueSuffix();
  return loadConfig({
    DB_ENGINE: engine === 'postgres' ? 'postgres' : 'mariadb',
    DB_HOST: process.env.TEST_DB_HOST ?? '127.0.0.1',
    DB_NAME: `cmiyc_test_${suffix}`,
    DB_USER:
      engine === 'postgres'
        ? (process.env.TEST_PG_USER ?? 'postgres')
        : (process.env.TEST_MYSQL_USER ?? 'root'),
    CACHE_HOST: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
    CACHE_PORT: process.env.TEST_REDIS_PORT ?? '6379',
    CACHE_KEY_PREFIX: `cmiyc-test:${suffix}:`,
    // Port 0 everywhere: tests bind ephemeral ports and pass the real ones along.
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}

/** Creates the suite's database with the schema applied; returns a cleanup function. */
export async function createTestDatabase(config: AppConfig): Promise<() => Promise<void>> {
  await migrateDatabase(config.db);
  return () => dropDatabase(config.db);
}
