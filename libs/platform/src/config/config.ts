import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS, SettingSpec } from './settings';

export type DbEngine = 'mysql' | 'postgres';
export type DbFlavor = 'mysql' | 'mariadb' | 'postgres';

export interface Endpoint {
  host: string;
  port: number;
}

export interface RedisEndpoint extends Endpoint {
  password?: string;
  tls: boolean;
  /** Nodes of a Valkey Cluster to start from (CACHE_CLUSTER_NODES / QUEUE_CLUSTER_NODES); empty: one server. */
  clusterNodes?: Endpoint[];
}

export interface AppConfig {
  db: {
    /** The SQL dialect: MySQL and MariaDB share one. */
    engine: DbEngine;
    flavor: DbFlavor;
    host: string;
    port: number;
    user: string;
    password: string;
    name: string;
    poolSize: number;
    /** Read replicas (DB_REPLICA_HOSTS); empty: every read goes to the primary. */
    replicas: Endpoint[];
    /** How long a replica read waits for the replica to catch up with the primary before going to the primary. */
    replicaMaxLagMs: number;
    /** How long a failed replica is left alone before reads try it again. */
    replicaRetryMs: number;
  };
  cache: RedisEndpoint & {
    /** Where cache-aside JSON entries live; everything else stays on the Valkey of host/port. */
    engine: 'valkey' | 'redis' | 'memcached';
    /** The memcached server of CACHE_ENGINE=memcached. */
    memcached: Endpoint;
    keyPrefix: string;
    /** On a cluster: how many shards (hash tags) keys are spread over (CACHE_SHARDS); see KeySpace. */
    shards: number;
    /** Replicas that must acknowledge an accepted write-behind booking before it is answered (WAIT). */
    waitReplicas: number;
    defaultTtl: number;
    /** Deadline of a read (GET): slower counts as a miss. */
    commandTimeoutMs: number;
    /** Deadline of lock and script commands. */
    scriptTimeoutMs: number;
    /** Deadline of the liveness probe that tells slow from dead. */
    probeTimeoutMs: number;
    loaderTimeoutMs: number;
    /** In-process coalescing of concurrent requests for one key. */
    coalesce: boolean;
    /** Near cache (L1) in each process: bytes (0 = off) and the longest an entry is kept. */
    near: { maxBytes: number; maxAgeMs: number };
    breakerCooldownMs: number;
    lockTtlMs: number;
    lockWaitMs: number;
    ttl: {
      reference: number;
      flight: number;
      manifest: number;
      search: number;
      seats: number;
      passenger: number;
      bi: number;
      negative: number;
    };
  };
  queue: RedisEndpoint;
  gateway: Endpoint;
  queryService: Endpoint;
  writerService: Endpoint;
  weatherService: Endpoint;
  cacheWarmer: Endpoint;
  /**
   * How services are reached: tcp (one instance each, at its endpoint above) or nats (any number of instances
   * per service, sharing its requests through a queue group; subjects and groups start with subjectPrefix).
   */
  transport: { kind: 'tcp' | 'nats'; natsServers: string[]; subjectPrefix: string };
  admin: { user: string; password: string };
  /** Failed admin logins a client IP may make per window before 429. */
  adminLogin: { maxFailures: number; windowSeconds: number };
  /** What the gateway accepts: GATEWAY_BODY_LIMIT_BYTES. */
  http: { bodyLimitBytes: number };
  /** Shared secret of admin-only messages between processes ('' when unset: every admin message is refused). */
  internalToken: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** LOG_FORMAT: auto = pretty on a terminal, json otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** Prometheus endpoints of the TCP services (0 = none); the gateway serves GET /metrics on its own port. */
  metrics: { queryService: number; writerService: number; weatherService: number; cacheWarmer: number };
  weather: {
    provider: Endpoint;
    /** Start the mock provider inside weather-service (WEATHER_PROVIDER_EMBEDDED). */
    embeddedProvider: boolean;
    minDelayMs: number;
    maxDelayMs: number;
    errorRate: number;
    timeoutRate: number;
    upstreamTimeoutMs: number;
    ttlSeconds: number;
    lockTtlMs: number;
    staleGraceSeconds: number;
    earlyRefreshSeconds: number;
  };
  /** Server-side sessions (/api/session): the cookie's signing secret ('' = made up at start) and the sliding TTL. */
  session: { secret: string; ttlSeconds: number };
  writeBehind: {
    batchSize: number;
    lanes: number;
    blockMs: number;
    claimIdleMs: number;
    degradedAfterMs: number;
  };
  warming: { topRoutes: number; days: number; everyMs: number; topPassengers: number };
  /** NL -> SQL (POST /api/ask): the model, the read-only user, the guard's limits and the two caches. */
  ask: {
    ollama: {
      /** The server's base URL (OLLAMA_URL without /api/generate). */
      baseUrl: string;
      model: string;
      embedModel: string;
      timeoutMs: number;
      temperature: number;
    };
    dbUser: string;
    /** ASK_DB_PASSWORD, or derived from DB_PASSWORD, DB_NAME and the user (see deriveAskPassword). */
    dbPassword: string;
    provision: boolean;
    statementTimeoutMs: number;
    maxRows: number;
    queryTtl: number;
    semanticTtl: number;
    similarityThreshold: number;
    semanticMaxEntries: number;
    semanticIndex: 'auto' | 'scan';
  };
  seedScale: 'tiny' | 'small' | 'medium' | 'large';
}

/** INTERNAL_TOKEN is a secret: a short one could be guessed. */
export const MIN_INTERNAL_TOKEN_LENGTH = 16;

/**
 * The INTERNAL_TOKEN every process of one `npm start` shares when none is set: made up once, in the process that
 * reads the configuration first (npm start's supervisor), and handed down to the apps it starts through the
 * environment. Returns true when this call made it up.
 */
export function ensureInternalToken(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.INTERNAL_TOKEN) return false;
  env.INTERNAL_TOKEN = randomBytes(32).toString('hex');
  return true;
}

/** Thrown for a bad setting; its message is the one line a person needs. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** DB_REPLICA_HOSTS: `host[:port]` entries, comma-separated; a replica without a port listens on the primary's. */
function replicaHosts(raw: string, defaultPort: number, setting = 'DB_REPLICA_HOSTS'): Endpoint[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const m = /^([^\s:,]+)(?::(\d{1,5}))?$/.exec(entry);
      const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
      if (!m || port < 1 || port > 65535)
        throw new ConfigError(
          `Invalid ${setting} entry ${JSON.stringify(entry)}: expected host or host:port (port 1-65535)`,
        );
      return { host: m[1], port };
    });
}

function parseValue(spec: SettingSpec, raw: string): string | number | boolean {
  const fail = (allowed: string): never => {
    throw new ConfigError(`Invalid ${spec.name}=${JSON.stringify(raw)}: expected ${allowed}`);
  };
  const range = spec.min !== undefined ? ` from ${spec.min} to ${spec.max}` : '';
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'enum':
      if (!spec.allowed!.includes(raw.toLowerCase())) fail(`one of ${spec.allowed!.join(', ')}`);
      return raw.toLowerCase();
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off', ''].includes(v)) return false;
      return fail('true or false');
    }
    case 'port': {
      if (!/^\d+$/.test(raw) || +raw < 1 || +raw > 65535) fail('a port number from 1 to 65535');
      return Number(raw);
    }
    case 'int': {
      if (!/^-?\d+$/.test(raw)) fail(`a whole number${range}`);
      const n = Number(raw);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        fail(`a whole number${range}`);
      }
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) fail(`a number${range}`);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max))
        fail(`a number${range}`);
      return n;
    }
  }
}

let envFileLoaded = false;

/** Reads `.env` from the working directory once, without overriding variables already set. */
export function loadEnvFile(path = resolve(process.cwd(), '.env')): void {
  if (envFileLoaded) return;
  envFileLoaded = true;
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * Validates the environment against SETTINGS and returns the typed configuration.
 * Throws ConfigError naming the variable, the value and what is allowed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (env === process.env) loadEnvFile();
  const known = new Map(SETTINGS.map((s) => [s.name, s]));
  const get = <T extends string | number | boolean>(name: string): T | undefined => {
    const spec = known.get(name);
    if (!spec) throw new Error(`Setting ${name} is not declared in SETTINGS`);
    const raw = env[name];
    if (raw === undefined || (raw === '' && spec.kind !== 'string')) {
      return spec.default === undefined ? undefined : (parseValue(spec, spec.default) as T);
    }
    return parseValue(spec, raw) as T;
  };
  const str = (name: string) => get<string>(name) as string;
  const num = (name: string) => get<number>(name) as number;

  const engineName = str('DB_ENGINE');
  const flavor: DbFlavor = engineName === 'postgresql' ? 'postgres' : (engineName as DbFlavor);
  const engine: DbEngine = flavor === 'postgres' ? 'postgres' : 'mysql';

  const dbPort = get<number>('DB_PORT') ?? (engine === 'postgres' ? 5432 : 3306);

  const minDelay = num('WEATHER_PROVIDER_MIN_DELAY_MS');
  const maxDelay = num('WEATHER_PROVIDER_MAX_DELAY_MS');
  if (maxDelay < minDelay) {
    throw new ConfigError(
      `Invalid WEATHER_PROVIDER_MAX_DELAY_MS=${JSON.stringify(String(maxDelay))}: expected a value >= WEATHER_PROVIDER_MIN_DELAY_MS (${minDelay})`,
    );
  }
  // A weather lock that expires while its owner still waits for the provider lets a second caller in.
  const weatherLockTtl = num('WEATHER_LOCK_TTL_MS');
  const upstreamTimeout = num('WEATHER_UPSTREAM_TIMEOUT_MS');
  if (weatherLockTtl <= upstreamTimeout) {
    throw new ConfigError(
      `Invalid WEATHER_LOCK_TTL_MS=${JSON.stringify(String(weatherLockTtl))}: expected more than WEATHER_UPSTREAM_TIMEOUT_MS (${upstreamTimeout}), so the lock outlasts a provider call`,
    );
  }
  const prefix = str('CACHE_KEY_PREFIX');
  if (!prefix)
    throw new ConfigError('Invalid CACHE_KEY_PREFIX="": expected a non-empty prefix such as "cmiyc:"');

  const internalToken = str('INTERNAL_TOKEN');
  if (internalToken && internalToken.length < MIN_INTERNAL_TOKEN_LENGTH)
    throw new ConfigError(
      `Invalid INTERNAL_TOKEN: expected at least ${MIN_INTERNAL_TOKEN_LENGTH} characters (a random secret, such as \`openssl rand -hex 32\`)`,
    );

  const sessionSecret = str('SESSION_SECRET');
  if (sessionSecret && sessionSecret.length < 16)
    throw new ConfigError(
      'Invalid SESSION_SECRET: expected at least 16 characters (a random secret, such as `openssl rand -hex 32`)',
    );

  const askUser = str('ASK_DB_USER');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(askUser))
    throw new ConfigError(
      `Invalid ASK_DB_USER=${JSON.stringify(askUser)}: expected a database user name of letters, digits and _ (at most 63)`,
    );
  const cache: RedisEndpoint = {
    host: str('CACHE_HOST'),
    port: num('CACHE_PORT'),
    password: str('CACHE_PASSWORD') || undefined,
    tls: get<boolean>('CACHE_TLS') as boolean,
    clusterNodes: replicaHosts(str('CACHE_CLUSTER_NODES'), 6379, 'CACHE_CLUSTER_NODES'),
  };
  const queueClusterNodes = replicaHosts(str('QUEUE_CLUSTER_NODES'), 6379, 'QUEUE_CLUSTER_NODES');
  const queueHost = get<string>('QUEUE_HOST');

  return {
    db: {
      engine,
      flavor,
      host: str('DB_HOST'),
      port: dbPort,
      user: get<string>('DB_USER') ?? (engine === 'postgres' ? 'postgres' : 'root'),
      password: str('DB_PASSWORD'),
      name: str('DB_NAME'),
      poolSize: num('DB_POOL_SIZE'),
      replicas: replicaHosts(str('DB_REPLICA_HOSTS'), dbPort),
      replicaMaxLagMs: num('DB_REPLICA_MAX_LAG_MS'),
      replicaRetryMs: num('DB_REPLICA_RETRY_MS'),
    },
    cache: {
      ...cache,
      engine: str('CACHE_ENGINE') as AppConfig['cache']['engine'],
      memcached: { host: str('MEMCACHED_HOST'), port: num('MEMCACHED_PORT') },
      keyPrefix: prefix,
      shards: num('CACHE_SHARDS'),
      waitReplicas: num('CACHE_WAIT_REPLICAS'),
      defaultTtl: num('CACHE_TTL'),
      commandTimeoutMs: num('CACHE_COMMAND_TIMEOUT_MS'),
      scriptTimeoutMs: num('CACHE_SCRIPT_TIMEOUT_MS'),
      probeTimeoutMs: num('CACHE_PROBE_TIMEOUT_MS'),
      loaderTimeoutMs: num('CACHE_LOADER_TIMEOUT_MS'),
      coalesce: get<boolean>('CACHE_COALESCE') as boolean,
      near: { maxBytes: num('CACHE_NEAR_MAX_BYTES'), maxAgeMs: num('CACHE_NEAR_MAX_AGE_MS') },
      breakerCooldownMs: num('CACHE_BREAKER_COOLDOWN_MS'),
      lockTtlMs: num('CACHE_LOCK_TTL_MS'),
      lockWaitMs: num('CACHE_LOCK_WAIT_MS'),
      ttl: {
        reference: num('TTL_REFERENCE'),
        flight: num('TTL_FLIGHT'),
        manifest: num('TTL_MANIFEST'),
        search: num('TTL_SEARCH'),
        seats: num('TTL_SEATS'),
        passenger: num('TTL_PASSENGER'),
        bi: num('TTL_BI'),
        negative: num('TTL_NEGATIVE'),
      },
    },
    queue: {
      host: queueHost || cache.host,
      port: get<number>('QUEUE_PORT') ?? cache.port,
      password: get<string>('QUEUE_PASSWORD') || cache.password,
      tls: get<boolean>('QUEUE_TLS') ?? cache.tls,
      // The cache's cluster too, unless the queue has a server or cluster of its own.
      clusterNodes: queueClusterNodes.length > 0 || queueHost ? queueClusterNodes : cache.clusterNodes,
    },
    gateway: { host: str('GATEWAY_HOST'), port: num('GATEWAY_PORT') },
    queryService: { host: str('QUERY_SERVICE_HOST'), port: num('QUERY_SERVICE_PORT') },
    writerService: { host: str('WRITER_SERVICE_HOST'), port: num('WRITER_SERVICE_PORT') },
    weatherService: { host: str('WEATHER_SERVICE_HOST'), port: num('WEATHER_SERVICE_PORT') },
    cacheWarmer: { host: str('CACHE_WARMER_HOST'), port: num('CACHE_WARMER_PORT') },
    transport: {
      kind: str('SERVICE_TRANSPORT') as 'tcp' | 'nats',
      natsServers: natsServers(str('NATS_URL')),
      subjectPrefix: subjectPrefix(str('NATS_SUBJECT_PREFIX')),
    },
    admin: { user: str('ADMIN_USER'), password: str('ADMIN_PASSWORD') },
    adminLogin: {
      maxFailures: num('ADMIN_LOGIN_MAX_FAILURES'),
      windowSeconds: num('ADMIN_LOGIN_WINDOW_SECONDS'),
    },
    http: { bodyLimitBytes: num('GATEWAY_BODY_LIMIT_BYTES') },
    internalToken,
    logLevel: str('LOG_LEVEL') as AppConfig['logLevel'],
    logFormat: str('LOG_FORMAT') as AppConfig['logFormat'],
    metrics: {
      queryService: num('QUERY_SERVICE_METRICS_PORT'),
      writerService: num('WRITER_SERVICE_METRICS_PORT'),
      weatherService: num('WEATHER_SERVICE_METRICS_PORT'),
      cacheWarmer: num('CACHE_WARMER_METRICS_PORT'),
    },
    weather: {
      provider: { host: str('WEATHER_PROVIDER_HOST'), port: num('WEATHER_PROVIDER_PORT') },
      embeddedProvider: get<boolean>('WEATHER_PROVIDER_EMBEDDED') as boolean,
      minDelayMs: minDelay,
      maxDelayMs: maxDelay,
      errorRate: num('WEATHER_PROVIDER_ERROR_RATE'),
      timeoutRate: num('WEATHER_PROVIDER_TIMEOUT_RATE'),
      upstreamTimeoutMs: num('WEATHER_UPSTREAM_TIMEOUT_MS'),
      ttlSeconds: num('WEATHER_CACHE_TTL'),
      lockTtlMs: num('WEATHER_LOCK_TTL_MS'),
      staleGraceSeconds: num('WEATHER_STALE_GRACE'),
      earlyRefreshSeconds: num('WEATHER_EARLY_REFRESH'),
    },
    session: { secret: sessionSecret, ttlSeconds: num('SESSION_TTL_SECONDS') },
    writeBehind: {
      batchSize: num('WRITE_BEHIND_BATCH_SIZE'),
      lanes: num('WRITE_BEHIND_LANES'),
      blockMs: num('WRITE_BEHIND_BLOCK_MS'),
      claimIdleMs: num('WRITE_BEHIND_CLAIM_IDLE_MS'),
      degradedAfterMs: num('WRITE_BEHIND_DEGRADED_AFTER_MS'),
    },
    warming: {
      topRoutes: num('WARM_TOP_ROUTES'),
      days: num('WARM_DAYS'),
      everyMs: num('WARM_EVERY_MS'),
      topPassengers: num('WARM_TOP_PASSENGERS'),
    },
    ask: {
      ollama: {
        baseUrl: ollamaBaseUrl(str('OLLAMA_URL')),
        model: str('OLLAMA_MODEL'),
        embedModel: str('OLLAMA_EMBED_MODEL'),
        timeoutMs: num('OLLAMA_TIMEOUT_MS'),
        temperature: num('OLLAMA_TEMPERATURE'),
      },
      dbUser: askUser,
      dbPassword:
        get<string>('ASK_DB_PASSWORD') || deriveAskPassword(str('DB_PASSWORD'), str('DB_NAME'), askUser),
      provision: get<boolean>('ASK_DB_PROVISION') as boolean,
      statementTimeoutMs: num('ASK_STATEMENT_TIMEOUT_MS'),
      maxRows: num('ASK_MAX_ROWS'),
      queryTtl: num('ASK_QUERY_TTL'),
      semanticTtl: num('ASK_SEMANTIC_TTL'),
      similarityThreshold: num('ASK_SIMILARITY_THRESHOLD'),
      semanticMaxEntries: num('ASK_SEMANTIC_MAX_ENTRIES'),
      semanticIndex: str('ASK_SEMANTIC_INDEX') as 'auto' | 'scan',
    },
    seedScale: str('SEED_SCALE') as AppConfig['seedScale'],
  };
}

/** NATS_URL: one server or several, comma-separated; each must be a nats:// (or tls://) URL. */
function natsServers(raw: string): string[] {
  const servers = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = servers.find((s) => !/^(nats|tls):\/\/[^\s/]+$/.test(s));
  if (servers.length === 0 || bad !== undefined)
    throw new ConfigError(
      `Invalid NATS_URL=${JSON.stringify(raw)}: expected nats://host:port, or several comma-separated${bad ? ` (${JSON.stringify(bad)} is not one)` : ''}`,
    );
  return servers;
}

/** NATS_SUBJECT_PREFIX starts subjects and queue group names: no spaces, no wildcards. */
function subjectPrefix(raw: string): string {
  if (!/^[A-Za-z0-9_.-]*$/.test(raw))
    throw new ConfigError(
      `Invalid NATS_SUBJECT_PREFIX=${JSON.stringify(raw)}: expected letters, digits, '.', '_' and '-' only`,
    );
  return raw;
}

/** OLLAMA_URL as the original gives it (`…/api/generate`) or as a base URL -> the base URL. */
export function ollamaBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `Invalid OLLAMA_URL=${JSON.stringify(raw)}: expected an http(s) URL such as http://localhost:11434/api/generate`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`Invalid OLLAMA_URL=${JSON.stringify(raw)}: expected an http or https URL`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/(generate|embed|embeddings|chat)$/, '');
  return `${url.origin}${path}`;
}

/**
 * The read-only user's password when ASK_DB_PASSWORD is unset: the same in every process that shares the database
 * settings, and secret exactly when DB_PASSWORD is (whoever knows that can do more than this user anyway).
 */
export function deriveAskPassword(dbPassword: string, dbName: string, user: string): string {
  return createHmac('sha256', `cmiyc-ask:${dbPassword}`)
    .update(`${dbName}\n${user}`)
    .digest('base64url')
    .slice(0, 32);
}

/** The names of every variable the project accepts (compose and .env.example are checked against it). */
export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.name));

/** Renders `.env.example` from SETTINGS so the documentation cannot drift from the code. */
export function renderEnvExample(): string {
  const lines = [
    '# Generated from libs/platform/src/config/settings.ts by `npm run env:example`. Every variable is optional.',
    '',
  ];
  let group = '';
  for (const s of SETTINGS) {
    if (s.group !== group) {
      group = s.group;
      lines.push(`# --- ${group} ---`);
    }
    const allowed = s.allowed ? ` (${s.allowed.join(' | ')})` : '';
    lines.push(`# ${s.description}${allowed}`);
    lines.push(`${s.default === undefined ? '# ' : ''}${s.name}=${s.default ?? ''}`);
  }
  return lines.join('\n') + '\n';
}
