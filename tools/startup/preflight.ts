import { createServer } from 'node:net';
import { connect } from 'nats';
import { AppConfig, Endpoint, RedisEndpoint } from '@app/platform';
import { createValkeyClient, MemcachedConnection } from '@app/cache';
import { createDataSource, DbSettings } from '@app/platform';
import { withTimeout } from '@app/platform';
import { listeningPorts, metricsPorts } from './apps';

/**
 * Checks `npm start` makes before it starts anything: each failure is a message a person can act on
 * (what could not be reached, where, and how to start one), instead of five apps retrying in a loop.
 */
export interface PreflightFailure {
  what: string;
  message: string;
}

export const VALKEY_TIMEOUT_MS = 2000;
export const DATABASE_TIMEOUT_MS = 5000;

/** `mysql://root@localhost:3306/flughafendb_large` (the flavor DB_ENGINE names): where the database is, no password. */
export function describeDatabase(db: DbSettings): string {
  return `${db.flavor}://${db.user}@${db.host}:${db.port}/${db.name}`;
}

function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: unknown[] };
  // Node reports a refused connection to a name resolving to several addresses as an AggregateError with an
  // empty message; its parts say what happened.
  if (!err?.message && Array.isArray(err?.errors) && err.errors.length) return errorText(err.errors[0]);
  return err?.message || err?.code || String(e);
}

function valkeyHints(label: 'cache' | 'queues'): string[] {
  const service = label === 'cache' ? 'valkey-cache' : 'valkey-queue';
  const vars = label === 'cache' ? 'CACHE_HOST / CACHE_PORT' : 'QUEUE_HOST / QUEUE_PORT';
  return [
    `  Start one:  docker compose up -d ${service}`,
    `          or  valkey-server --daemonize yes      (Redis works too: redis-server --daemonize yes)`,
    `          or  sudo systemctl start valkey         (or redis-server)`,
    `  Or point ${vars} at a running server (see .env.example).`,
  ];
}

function databaseHints(db: DbSettings): string[] {
  const lines =
    db.engine === 'postgres'
      ? [
          `  Start one:  docker compose --profile postgres up -d postgres`,
          `          or  sudo systemctl start postgresql`,
        ]
      : [
          `  Start one:  docker compose up -d mariadb`,
          `          or  sudo systemctl start mariadb        (or mysql)`,
          `          or  brew services start mariadb         (macOS)`,
        ];
  return [...lines, `  Or point DB_ENGINE / DB_HOST / DB_PORT at a running server (see .env.example).`];
}

/** PING within VALKEY_TIMEOUT_MS; null when it answers. */
export async function checkValkey(
  endpoint: RedisEndpoint,
  label: 'cache' | 'queues',
  timeoutMs = VALKEY_TIMEOUT_MS,
): Promise<PreflightFailure | null> {
  // No retries: a refused connection fails the PING at once instead of after the reconnect backoff.
  const client = createValkeyClient(endpoint, {
    name: 'cmiyc-preflight',
    maxRetriesPerRequest: 0,
    lazyConnect: true,
  });
  let lastError: unknown;
  client.on('error', (e) => (lastError = e));
  const where = endpoint.clusterNodes?.length
    ? `the cluster of ${endpoint.clusterNodes.map((n) => `${n.host}:${n.port}`).join(', ')}${endpoint.tls ? ' (TLS)' : ''}`
    : `${endpoint.host}:${endpoint.port}${endpoint.tls ? ' (TLS)' : ''}`;
  try {
    const pong = await withTimeout(client.ping(), timeoutMs);
    if (pong === 'PONG') return null;
    return {
      what: `Valkey (${label})`,
      message: `Valkey (${label}) at ${where} answered PING with ${pong}.`,
    };
  } catch (e) {
    const reason = errorText(lastError ?? e);
    if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(reason)) {
      const variable = label === 'cache' ? 'CACHE_PASSWORD' : 'QUEUE_PASSWORD';
      return {
        what: `Valkey (${label})`,
        message: `Valkey (${label}) at ${where} refused the login: ${reason}\n  Set ${variable} to the server's password.`,
      };
    }
    return {
      what: `Valkey (${label})`,
      message: [`Cannot reach Valkey (${label}) at ${where}: ${reason}`, ...valkeyHints(label)].join('\n'),
    };
  } finally {
    client.disconnect();
  }
}

/** memcached (CACHE_ENGINE=memcached) answers `version` within VALKEY_TIMEOUT_MS; null when it does. */
export async function checkMemcached(
  endpoint: Endpoint,
  timeoutMs = VALKEY_TIMEOUT_MS,
): Promise<PreflightFailure | null> {
  const connection = new MemcachedConnection(endpoint, timeoutMs);
  const where = `${endpoint.host}:${endpoint.port}`;
  try {
    await withTimeout(connection.version(), timeoutMs);
    return null;
  } catch (e) {
    return {
      what: 'memcached',
      message: [
        `Cannot reach memcached at ${where} (CACHE_ENGINE=memcached): ${errorText(e)}`,
        `  Start one:  memcached -d -l 127.0.0.1 -p ${endpoint.port}      (Debian: apt-get install memcached)`,
        `          or  docker run -d -p ${endpoint.port}:11211 memcached`,
        `  Or point MEMCACHED_HOST / MEMCACHED_PORT at a running server, or unset CACHE_ENGINE (Valkey).`,
      ].join('\n'),
    };
  } finally {
    connection.close();
  }
}

/**
 * The one start-up line of CACHE_ENGINE=memcached: which server holds what. null for Valkey (it holds everything).
 */
export function describeCacheEngine(config: AppConfig): string | null {
  if (config.cache.engine !== 'memcached') return null;
  const { memcached, host, port } = config.cache;
  const queues =
    config.queue.host === host && config.queue.port === port
      ? ''
      : ` (queues at ${config.queue.host}:${config.queue.port})`;
  return (
    `cache-aside entries are in memcached at ${memcached.host}:${memcached.port}; queues, streams, seat maps, ` +
    `sessions and leaderboards stay on Valkey at ${host}:${port}${queues}`
  );
}

/**
 * Connects to the database server within DATABASE_TIMEOUT_MS. It connects to the server's default database
 * (as migrateDatabase does to create DB_NAME), because DB_NAME may not exist yet on a first start.
 */
export async function checkDatabase(
  db: DbSettings,
  timeoutMs = DATABASE_TIMEOUT_MS,
): Promise<PreflightFailure | null> {
  const ds = createDataSource(
    { ...db, name: db.engine === 'postgres' ? 'postgres' : '', poolSize: 1 },
    { migrations: [] },
  );
  const where = describeDatabase(db);
  const initializing = ds.initialize();
  try {
    await withTimeout(initializing, timeoutMs);
    await withTimeout(ds.query('SELECT 1'), timeoutMs);
    return null;
  } catch (e) {
    const err = e as { code?: string };
    const reason = errorText(e);
    const refusedLogin =
      err.code === 'ER_ACCESS_DENIED_ERROR' ||
      err.code === '28P01' ||
      err.code === '28000' ||
      /authentication/i.test(reason);
    if (refusedLogin) {
      return {
        what: 'the database',
        message: `The database at ${where} refused user "${db.user}": ${reason}\n  Set DB_USER / DB_PASSWORD.`,
      };
    }
    return {
      what: 'the database',
      message: [`Cannot reach the database at ${where}: ${reason}`, ...databaseHints(db)].join('\n'),
    };
  } finally {
    // A connection still being attempted after the timeout is closed when it settles.
    void initializing.then(
      () => ds.destroy(),
      () => undefined,
    );
  }
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Every port the apps will bind must be free: a second `npm start` would otherwise fail app by app. */
export async function checkPorts(config: AppConfig): Promise<PreflightFailure[]> {
  const failures: PreflightFailure[] = [];
  const byPort = new Map<number, string[]>();
  const bound = [...listeningPorts(config), ...metricsPorts(config)];
  for (const { variable, port } of bound) byPort.set(port, [...(byPort.get(port) ?? []), variable]);
  for (const [port, variables] of byPort) {
    if (variables.length > 1) {
      failures.push({
        what: `port ${port}`,
        message: `${variables.join(', ')} share port ${port}; every app needs a port of its own.`,
      });
    }
  }
  for (const { variable, port, owner } of bound) {
    const host = variable === 'GATEWAY_PORT' ? config.gateway.host : '0.0.0.0';
    if (!(await portFree(port, host))) {
      failures.push({
        what: `port ${port}`,
        message: `Port ${port} (${variable}, for ${owner}) is already in use. Is another \`npm start\` running? Stop it, or set ${variable} to a free port.`,
      });
    }
  }
  return failures;
}

/** NATS (SERVICE_TRANSPORT=nats) accepts a connection within VALKEY_TIMEOUT_MS; null when it does. */
export async function checkNats(
  servers: string[],
  timeoutMs = VALKEY_TIMEOUT_MS,
): Promise<PreflightFailure | null> {
  try {
    const nc = await connect({ servers, timeout: timeoutMs, reconnect: false, name: 'cmiyc-preflight' });
    await nc.close();
    return null;
  } catch (e) {
    return {
      what: 'NATS',
      message: [
        `Cannot reach NATS at ${servers.join(', ')} (SERVICE_TRANSPORT=nats): ${errorText(e)}`,
        `  Start one:  docker compose --profile replicated up -d nats`,
        `          or  nats-server -a 127.0.0.1 -p 4222`,
        `  Or point NATS_URL at a running server, or set SERVICE_TRANSPORT=tcp (see .env.example).`,
      ].join('\n'),
    };
  }
}

/**
 * Valkey (cache and, when separate, queues), memcached when it is the engine, NATS when services talk over it,
 * and the database, at the same time.
 */
export async function checkDependencies(config: AppConfig): Promise<PreflightFailure[]> {
  const nodes = (e: RedisEndpoint) => (e.clusterNodes ?? []).map((n) => `${n.host}:${n.port}`).join(',');
  const sameServer =
    config.queue.host === config.cache.host &&
    config.queue.port === config.cache.port &&
    nodes(config.queue) === nodes(config.cache);
  const results = await Promise.all([
    checkValkey(config.cache, 'cache'),
    sameServer ? Promise.resolve(null) : checkValkey(config.queue, 'queues'),
    config.cache.engine === 'memcached' ? checkMemcached(config.cache.memcached) : Promise.resolve(null),
    config.transport.kind === 'nats' ? checkNats(config.transport.natsServers) : Promise.resolve(null),
    checkDatabase(config.db),
  ]);
  return results.filter((r): r is PreflightFailure => r !== null);
}
