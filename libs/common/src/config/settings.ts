/**
 * Every environment variable the project reads, in one table: its default, what is allowed and what it is for.
 * `loadConfig` validates against this table, `.env.example` and the README's table are written from it, and a
 * test checks that docker-compose.yml sets nothing that is not listed here.
 */
export type SettingKind = 'string' | 'port' | 'int' | 'bool' | 'enum' | 'number';

export interface SettingSpec {
  name: string;
  kind: SettingKind;
  /** Default when unset; `undefined` means "derived" (see the description) or empty. */
  default?: string;
  allowed?: readonly string[];
  min?: number;
  max?: number;
  description: string;
  group: string;
  secret?: boolean;
}

const port = (name: string, def: string, description: string, group: string): SettingSpec => ({
  name,
  kind: 'port',
  default: def,
  description,
  group,
});

const seconds = (name: string, def: string, description: string): SettingSpec => ({
  name,
  kind: 'int',
  default: def,
  min: 1,
  max: 30 * 24 * 3600,
  description,
  group: 'Cache TTLs (seconds)',
});

export const SETTINGS: readonly SettingSpec[] = [
  // Database
  {
    name: 'DB_ENGINE',
    kind: 'enum',
    default: 'mysql',
    allowed: ['mysql', 'mariadb', 'postgres', 'postgresql'],
    description: 'Database engine',
    group: 'Database',
  },
  { name: 'DB_HOST', kind: 'string', default: 'localhost', description: 'Database host', group: 'Database' },
  {
    name: 'DB_PORT',
    kind: 'port',
    description: 'Database port (default 3306 for mysql/mariadb, 5432 for postgres)',
    group: 'Database',
  },
  {
    name: 'DB_USER',
    kind: 'string',
    description: 'Database user (default root for mysql/mariadb, postgres for postgres)',
    group: 'Database',
  },
  { name: 'DB_PASSWORD', kind: 'string', default: '', description: 'Database password', group: 'Database', secret: true },
  { name: 'DB_NAME', kind: 'string', default: 'flughafendb_large', description: 'Database name', group: 'Database' },
  {
    name: 'DB_POOL_SIZE',
    kind: 'int',
    default: '10',
    min: 1,
    max: 200,
    description: 'Connections per process',
    group: 'Database',
  },
  // Cache
  {
    name: 'CACHE_ENGINE',
    kind: 'enum',
    default: 'valkey',
    allowed: ['valkey', 'redis'],
    description: 'Cache server flavour (same protocol)',
    group: 'Cache',
  },
  { name: 'CACHE_HOST', kind: 'string', default: 'localhost', description: 'Valkey/Redis host', group: 'Cache' },
  port('CACHE_PORT', '6379', 'Valkey/Redis port', 'Cache'),
  { name: 'CACHE_PASSWORD', kind: 'string', default: '', description: 'Valkey/Redis password', group: 'Cache', secret: true },
  { name: 'CACHE_TLS', kind: 'bool', default: 'false', description: 'Connect to Valkey over TLS', group: 'Cache' },
  {
    name: 'CACHE_KEY_PREFIX',
    kind: 'string',
    default: 'cmiyc:',
    description: "Prefix of every key this project writes (DELETE /api/cache removes only these)",
    group: 'Cache',
  },
  seconds('CACHE_TTL', '3600', 'Default TTL for cached entries without a class of their own'),
  {
    name: 'CACHE_COMMAND_TIMEOUT_MS',
    kind: 'int',
    default: '250',
    min: 5,
    max: 60000,
    description: 'A cache command slower than this counts as a failure and the read goes to the database',
    group: 'Cache',
  },
  {
    name: 'CACHE_BREAKER_COOLDOWN_MS',
    kind: 'int',
    default: '2000',
    min: 50,
    max: 600000,
    description: 'After repeated cache failures, skip the cache for this long before trying again',
    group: 'Cache',
  },
  {
    name: 'CACHE_LOCK_TTL_MS',
    kind: 'int',
    default: '10000',
    min: 1000,
    max: 600000,
    description: 'TTL of a stampede lock: how long one loader may hold a key before another may take over',
    group: 'Cache',
  },
  {
    name: 'CACHE_LOCK_WAIT_MS',
    kind: 'int',
    default: '5000',
    min: 10,
    max: 600000,
    description: 'How long a waiter waits for another process to fill a key before loading by itself',
    group: 'Cache',
  },
  seconds('TTL_REFERENCE', '21600', 'Reference data: airports, airlines'),
  seconds('TTL_FLIGHT', '900', 'Flight details'),
  seconds('TTL_MANIFEST', '300', 'Flight manifests'),
  seconds('TTL_SEARCH', '600', 'Flight and round-trip searches'),
  seconds('TTL_SEATS', '90', 'Seat availability (counters and seat bitmap)'),
  seconds('TTL_PASSENGER', '1800', 'Passenger history and profile'),
  seconds('TTL_BI', '14400', 'BI queries: hub routes'),
  seconds('TTL_NEGATIVE', '30', '"Not found" entries, so unknown ids do not hammer the database'),
  // Queues
  {
    name: 'QUEUE_HOST',
    kind: 'string',
    description: 'Valkey/Redis host for BullMQ queues and the write-behind stream (default CACHE_HOST)',
    group: 'Queues',
  },
  { name: 'QUEUE_PORT', kind: 'port', description: 'Queue server port (default CACHE_PORT)', group: 'Queues' },
  {
    name: 'QUEUE_PASSWORD',
    kind: 'string',
    description: 'Queue server password (default CACHE_PASSWORD)',
    group: 'Queues',
    secret: true,
  },
  { name: 'QUEUE_TLS', kind: 'bool', description: 'Queue server over TLS (default CACHE_TLS)', group: 'Queues' },
  // Services
  { name: 'GATEWAY_HOST', kind: 'string', default: '0.0.0.0', description: 'Address the gateway listens on', group: 'Services' },
  port('GATEWAY_PORT', '3000', 'Gateway HTTP port', 'Services'),
  { name: 'QUERY_SERVICE_HOST', kind: 'string', default: '127.0.0.1', description: 'query-service host', group: 'Services' },
  port('QUERY_SERVICE_PORT', '3001', 'query-service TCP port', 'Services'),
  { name: 'WRITER_SERVICE_HOST', kind: 'string', default: '127.0.0.1', description: 'writer-service host', group: 'Services' },
  port('WRITER_SERVICE_PORT', '3002', 'writer-service TCP port', 'Services'),
  { name: 'WEATHER_SERVICE_HOST', kind: 'string', default: '127.0.0.1', description: 'weather-service host', group: 'Services' },
  port('WEATHER_SERVICE_PORT', '3003', 'weather-service TCP port', 'Services'),
  { name: 'CACHE_WARMER_HOST', kind: 'string', default: '127.0.0.1', description: 'cache-warmer host', group: 'Services' },
  port('CACHE_WARMER_PORT', '3005', 'cache-warmer TCP port (health and admin messages)', 'Services'),
  { name: 'ADMIN_USER', kind: 'string', default: 'admin', description: 'Admin user for DELETE /api/cache and /queues', group: 'Services' },
  {
    name: 'ADMIN_PASSWORD',
    kind: 'string',
    default: 'admin',
    description: 'Admin password (change it anywhere but a laptop)',
    group: 'Services',
    secret: true,
  },
  {
    name: 'LOG_LEVEL',
    kind: 'enum',
    default: 'log',
    allowed: ['error', 'warn', 'log', 'debug', 'verbose'],
    description: 'Most verbose log level printed',
    group: 'Services',
  },
  // Weather
  { name: 'WEATHER_PROVIDER_HOST', kind: 'string', default: '127.0.0.1', description: 'Mock weather provider host', group: 'Weather' },
  port('WEATHER_PROVIDER_PORT', '3004', 'Mock weather provider HTTP port', 'Weather'),
  {
    name: 'WEATHER_PROVIDER_MIN_DELAY_MS',
    kind: 'int',
    default: '250',
    min: 0,
    max: 60000,
    description: 'Shortest simulated provider latency',
    group: 'Weather',
  },
  {
    name: 'WEATHER_PROVIDER_MAX_DELAY_MS',
    kind: 'int',
    default: '750',
    min: 0,
    max: 60000,
    description: 'Longest simulated provider latency',
    group: 'Weather',
  },
  {
    name: 'WEATHER_PROVIDER_ERROR_RATE',
    kind: 'number',
    default: '0',
    min: 0,
    max: 1,
    description: 'Share of provider calls that answer 500 (failure injection)',
    group: 'Weather',
  },
  {
    name: 'WEATHER_PROVIDER_TIMEOUT_RATE',
    kind: 'number',
    default: '0',
    min: 0,
    max: 1,
    description: 'Share of provider calls that never answer in time (failure injection)',
    group: 'Weather',
  },
  {
    name: 'WEATHER_UPSTREAM_TIMEOUT_MS',
    kind: 'int',
    default: '3000',
    min: 10,
    max: 120000,
    description: 'How long the cached client waits for the provider',
    group: 'Weather',
  },
  seconds('WEATHER_CACHE_TTL', '900', 'Weather entries (15 minutes, as in the original)'),
  {
    name: 'WEATHER_LOCK_TTL_MS',
    kind: 'int',
    default: '10000',
    min: 1000,
    max: 600000,
    description: 'Weather lock TTL in milliseconds; must outlast a provider call',
    group: 'Weather',
  },
  seconds('WEATHER_STALE_GRACE', '3600', 'How long past expiry a weather value may be served when the provider fails'),
  seconds('WEATHER_EARLY_REFRESH', '60', 'Refresh a hot weather key this many seconds before it expires'),
  // Write path
  {
    name: 'WRITE_BEHIND_BATCH_SIZE',
    kind: 'int',
    default: '500',
    min: 1,
    max: 10000,
    description: 'Bookings the flusher reads and inserts per batch',
    group: 'Write path',
  },
  {
    name: 'WRITE_BEHIND_BLOCK_MS',
    kind: 'int',
    default: '200',
    min: 1,
    max: 60000,
    description: 'How long the flusher blocks on an empty stream',
    group: 'Write path',
  },
  {
    name: 'WRITE_BEHIND_CLAIM_IDLE_MS',
    kind: 'int',
    default: '30000',
    min: 100,
    max: 3600000,
    description: 'Pending stream entries idle this long are claimed from a dead flusher',
    group: 'Write path',
  },
  // Warming
  {
    name: 'WARM_TOP_ROUTES',
    kind: 'int',
    default: '20',
    min: 0,
    max: 10000,
    description: 'How many of the most searched routes the scheduler keeps warm',
    group: 'Warming',
  },
  {
    name: 'WARM_DAYS',
    kind: 'int',
    default: '7',
    min: 1,
    max: 60,
    description: 'Days ahead to warm for each hot route',
    group: 'Warming',
  },
  {
    name: 'WARM_EVERY_MS',
    kind: 'int',
    default: '300000',
    min: 1000,
    max: 86400000,
    description: 'How often scheduled warming runs',
    group: 'Warming',
  },
  {
    name: 'WARM_TOP_PASSENGERS',
    kind: 'int',
    default: '50',
    min: 0,
    max: 100000,
    description: 'How many of the most active passengers have their histories kept warm',
    group: 'Warming',
  },
  // Start-up
  {
    name: 'SEED_SCALE',
    kind: 'enum',
    default: 'small',
    allowed: ['tiny', 'small', 'medium', 'large'],
    description: '`npm start` generates this dataset when the database is empty',
    group: 'Start-up',
  },
];
