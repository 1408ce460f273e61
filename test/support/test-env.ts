import { randomBytes } from 'node:crypto';
import { AppConfig, DbEngine, loadConfig } from '@app/platform';
import { dropDatabase } from '@app/platform';
import { deleteKeysWithPrefix } from './redis-server';
import { KeySpace, queuePrefix } from '@app/cache';
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

/**
 * The "cluster" jest project runs suites again against a Valkey Cluster of its own (3 masters, 3 replicas; see
 * cluster-setup.ts): its test files see the global CACHE_TOPOLOGY = 'cluster', and the nodes in
 * TEST_CACHE_CLUSTER_NODES. Other projects' suites use the machine's single server.
 */
export function testClusterNodes(): string | undefined {
  const topology = (globalThis as { CACHE_TOPOLOGY?: string }).CACHE_TOPOLOGY;
  if (topology !== 'cluster') return undefined;
  const nodes = process.env.TEST_CACHE_CLUSTER_NODES;
  if (!nodes)
    throw new Error('the cluster project runs without TEST_CACHE_CLUSTER_NODES (see cluster-setup.ts)');
  return nodes;
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
    // A suite that points at a server of its own (CACHE_PORT) gets that server, on either project.
    CACHE_CLUSTER_NODES: overrides.CACHE_PORT ? '' : (testClusterNodes() ?? ''),
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
    CACHE_CLUSTER_NODES: (config.cache.clusterNodes ?? []).map((n) => `${n.host}:${n.port}`).join(','),
    CACHE_SHARDS: String(config.cache.shards),
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
  if (config.cache.clusterNodes?.length) return removeClusterTestKeys(config);
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

/** removeTestKeys on a cluster: every master's keys under the prefix (best-effort, like the single server's). */
async function removeClusterTestKeys(config: AppConfig): Promise<void> {
  await Promise.all(
    (await clusterMasters(config.cache.clusterNodes!)).map(async (endpoint) => {
      const client = oneShotValkey(endpoint);
      client.on('error', () => undefined);
      try {
        await client.connect();
        await deleteKeysWithPrefix(client, config.cache.keyPrefix, true);
        // BullMQ's keys sit under the hash tag {<prefix>bull} on a cluster (queuePrefix).
        await deleteKeysWithPrefix(client, queuePrefix(config), true);
      } catch {
        // A master killed by the suite: its replica, promoted, is in the list next time.
      } finally {
        if (client.status !== 'end') client.disconnect();
      }
    }),
  );
}

/** The masters of a cluster, as its first answering node sees them. */
async function clusterMasters(
  nodes: { host: string; port: number }[],
): Promise<{ host: string; port: number }[]> {
  for (const node of nodes) {
    const client = oneShotValkey(node);
    client.on('error', () => undefined);
    try {
      await client.connect();
      const text = (await client.call('CLUSTER', 'NODES')) as string;
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((f) => f.length > 2 && f[2].includes('master') && !f[2].includes('fail'))
        .map((f) => {
          const [host, port] = f[1].split('@')[0].split(':');
          return { host: host || node.host, port: Number(port) };
        });
    } catch {
      // next node
    } finally {
      if (client.status !== 'end') client.disconnect();
    }
  }
  return [];
}

/** The key as the apps store it under `config` (prefixed; on a cluster, with its shard's hash tag). */
export function storedKey(config: AppConfig, logical: string): string {
  const shards = config.cache.clusterNodes?.length ? config.cache.shards : null;
  return new KeySpace(config.cache.keyPrefix, shards).key(logical);
}
