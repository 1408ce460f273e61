import { randomBytes } from 'node:crypto';
import { AppConfig, DbEngine, loadConfig } from '@app/platform';
import { dropDatabase } from '@app/platform';
import { deleteKeysWithPrefix } from './redis-server';
import { oneShotValkey } from './one-shot-valkey';
import { migrateDatabase } from '@app/platform';
import { TEST_DB_PREFIX, TEST_KEY_PREFIX, testRunId } from './test-run';

/**
 * Test configuration: the machine's MariaDB/PostgreSQL/Redis, a database and key prefix of the suite's own,
 * so suites can run in parallel and never touch flughafendb_large or another suite's keys.
 */
export const TEST_ENGINES: DbEngine[] = ['mysql', 'postgres'];

export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function testConfig(engine: DbEngine, overrides: NodeJS.ProcessEnv = {}): AppConfig {
  // The run's id first: the leak check at the end of the run finds this run's leftovers by it.
  const suffix = `${testRunId()}${uniqueSuffix()}`;
  return loadConfig({
    DB_ENGINE: engine === 'postgres' ? 'postgres' : 'mariadb',
    DB_HOST: process.env.TEST_DB_HOST ?? '127.0.0.1',
    DB_NAME: `${TEST_DB_PREFIX}${suffix}`,
    DB_USER:
      engine === 'postgres'
        ? (process.env.TEST_PG_USER ?? 'postgres')
        : (process.env.TEST_MYSQL_USER ?? 'root'),
    CACHE_HOST: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
    CACHE_PORT: process.env.TEST_REDIS_PORT ?? '6379',
    CACHE_KEY_PREFIX: `${TEST_KEY_PREFIX}${suffix}:`,
    // The secret of admin messages, shared by the suite's gateway and services (in process or spawned).
    INTERNAL_TOKEN: randomBytes(24).toString('hex'),
    // Port 0 everywhere: tests bind ephemeral ports and pass the real ones along.
    LOG_LEVEL: 'warn',
    // No Prometheus endpoints (9301...): parallel suites would race for them. Metrics suites set their own.
    QUERY_SERVICE_METRICS_PORT: '0',
    WRITER_SERVICE_METRICS_PORT: '0',
    WEATHER_SERVICE_METRICS_PORT: '0',
    CACHE_WARMER_METRICS_PORT: '0',
    ...overrides,
  });
}

/** The environment that makes a spawned process use the same database, Valkey and key prefix as `config`. */
export function storageEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    DB_ENGINE: config.db.flavor,
    DB_HOST: config.db.host,
    DB_PORT: String(config.db.port),
    DB_USER: config.db.user,
    DB_PASSWORD: config.db.password,
    DB_NAME: config.db.name,
    CACHE_HOST: config.cache.host,
    CACHE_PORT: String(config.cache.port),
    CACHE_KEY_PREFIX: config.cache.keyPrefix,
    CACHE_ENGINE: config.cache.engine,
    MEMCACHED_HOST: config.cache.memcached.host,
    MEMCACHED_PORT: String(config.cache.memcached.port),
  };
}

/** Creates the suite's database with the schema applied; returns a cleanup function. */
export async function createTestDatabase(config: AppConfig): Promise<() => Promise<void>> {
  await migrateDatabase(config.db);
  return () => removeTestStorage(config);
}

/**
 * Drops the suite's database and deletes every key under its prefix (queues included). The key clean-up is
 * best-effort: a suite may point at a Valkey it has stopped on purpose.
 */
export async function removeTestStorage(config: AppConfig): Promise<void> {
  await dropDatabase(config.db);
  await removeTestKeys(config);
}

/**
 * Deletes every key under the suite's prefix (best-effort). Call it after closing the suite's connections: a
 * closing process writes its last statistics on the way out.
 */
export async function removeTestKeys(config: AppConfig): Promise<void> {
  const client = oneShotValkey(config.cache);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await deleteKeysWithPrefix(client, config.cache.keyPrefix);
  } catch {
    // Nothing to clean where nothing answers.
  } finally {
    if (client.status !== 'end') client.disconnect();
  }
}
