import Valkey, { RedisOptions } from 'iovalkey';
import { defineScripts } from './scripts';
import { AppConfig, RedisEndpoint } from '@app/platform/config';

export type ValkeyClient = Valkey;

export interface ValkeyClientOptions {
  /** Name shown in CLIENT LIST, to tell processes apart. */
  name?: string;
  /** Fail a command after this long instead of waiting for a dead server (reads fall back to the database). */
  commandTimeoutMs?: number;
  /** Queue commands while disconnected (BullMQ wants this; the cache path does not: fail fast instead). */
  offlineQueue?: boolean;
  /** BullMQ requires null here for its blocking connections. */
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
  /**
   * Send again, after a reconnect, the commands that got no reply (default true). The cache connection says
   * false: a write whose outcome a caller already settled (see CacheGuard.attempt) must not run later.
   */
  resendAfterReconnect?: boolean;
  /** Send the commands issued in one event-loop tick as one write (many concurrent requests, fewer syscalls). */
  autoPipelining?: boolean;
}

/** One place that turns configuration into an iovalkey connection. */
export function createValkeyClient(endpoint: RedisEndpoint, opts: ValkeyClientOptions = {}): ValkeyClient {
  const options: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    password: endpoint.password,
    tls: endpoint.tls ? {} : undefined,
    connectionName: opts.name,
    commandTimeout: opts.commandTimeoutMs,
    enableOfflineQueue: opts.offlineQueue ?? true,
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? 1 : opts.maxRetriesPerRequest,
    lazyConnect: opts.lazyConnect ?? false,
    enableAutoPipelining: opts.autoPipelining ?? false,
    autoResendUnfulfilledCommands: opts.resendAfterReconnect ?? true,
    // A connection closed while its server is gone is destroyed soon, so no timer keeps the process alive.
    disconnectTimeout: 200,
    // Reconnect forever with a capped backoff: the cache coming back must be noticed without a restart.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  const client = new Valkey(options);
  defineScripts(client);
  // Connection errors are reported by health checks and the circuit breaker; an unhandled 'error' event
  // would otherwise crash the process.
  client.on('error', () => undefined);
  return client;
}

/**
 * The cache connection's own command timeout: only a backstop for commands sent outside CacheGuard, longer than
 * every deadline the guard gives (a read-back gets 4 x CACHE_SCRIPT_TIMEOUT_MS, a probe CACHE_PROBE_TIMEOUT_MS).
 */
export function backstopTimeoutMs(config: AppConfig): number {
  return Math.max(4 * config.cache.scriptTimeoutMs, config.cache.probeTimeoutMs) + 1000;
}
