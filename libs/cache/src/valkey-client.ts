import Valkey, { Cluster, ClusterOptions, RedisOptions } from 'iovalkey';
import { defineScripts, scriptCommandNames } from './scripts';
import { AppConfig, RedisEndpoint } from '@app/platform/config';

/**
 * A connection to one Valkey server, or iovalkey's Cluster client behind the same command interface (typed as
 * the single-server client: the commands this project sends exist on both; see isCluster for what differs).
 */
export type ValkeyClient = Valkey;

/** True when the client is iovalkey's Cluster client (CACHE_CLUSTER_NODES / QUEUE_CLUSTER_NODES). */
export function isCluster(client: ValkeyClient): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/** The cluster client behind a ValkeyClient (callers check isCluster first). */
export function asCluster(client: ValkeyClient): Cluster {
  return client as unknown as Cluster;
}

/** The server connections to scan or watch: the masters of a cluster, or the client itself. */
export function masterConnections(client: ValkeyClient): ValkeyClient[] {
  return isCluster(client) ? (asCluster(client).nodes('master') as ValkeyClient[]) : [client];
}

/** A second connection like this one (a subscriber, say), with some options changed. */
export function duplicateClient(client: ValkeyClient, overrides: Partial<RedisOptions>): ValkeyClient {
  if (!isCluster(client)) return client.duplicate(overrides);
  const cluster = asCluster(client);
  const copy = cluster.duplicate(undefined, {
    ...cluster.options,
    enableOfflineQueue: overrides.enableOfflineQueue ?? cluster.options.enableOfflineQueue,
    redisOptions: { ...cluster.options.redisOptions, ...overrides },
  }) as unknown as ValkeyClient;
  copy.on('error', () => undefined);
  return copy;
}

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
  const client = endpoint.clusterNodes?.length ? clusterClient(endpoint, options) : new Valkey(options);
  defineScripts(client);
  // Connection errors are reported by health checks and the circuit breaker; an unhandled 'error' event
  // would otherwise crash the process.
  client.on('error', () => undefined);
  return client;
}

/**
 * iovalkey's Cluster client with the same per-node options: it learns the slot map from the given nodes, follows
 * MOVED/ASK redirections, and after a failover retries on the promoted replica.
 */
function clusterClient(endpoint: RedisEndpoint, options: RedisOptions): ValkeyClient {
  const { host, port, retryStrategy, enableOfflineQueue, enableAutoPipelining, lazyConnect, ...nodeOptions } =
    options;
  void host;
  void port;
  const clusterOptions: ClusterOptions = {
    redisOptions: nodeOptions,
    enableOfflineQueue,
    enableAutoPipelining,
    // iovalkey's cluster auto-pipeline refuses scripts of different slots in one tick ("All keys in the pipeline
    // should belong to the same slots allocation group"): scripts are sent on their own.
    autoPipeliningIgnoredCommands: [...scriptCommandNames(), 'evalsha', 'eval'],
    clusterRetryStrategy: retryStrategy,
    // A failover takes the node timeout plus an election: keep retrying a little, then give up (the caller's
    // own deadline decides before that on the cache path).
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: 2000,
    // The slot map is read again every second as well as on MOVED: a promoted replica is found soon even by a
    // process whose breaker keeps commands (and so MOVED replies) away from the dead master's slots.
    slotsRefreshInterval: 1000,
    scaleReads: 'master',
    lazyConnect,
  };
  return new Cluster(endpoint.clusterNodes ?? [], clusterOptions) as unknown as ValkeyClient;
}

/**
 * The cache connection's own command timeout: only a backstop for commands sent outside CacheGuard, longer than
 * every deadline the guard gives (a read-back gets 4 x CACHE_SCRIPT_TIMEOUT_MS, a probe CACHE_PROBE_TIMEOUT_MS).
 */
export function backstopTimeoutMs(config: AppConfig): number {
  return Math.max(4 * config.cache.scriptTimeoutMs, config.cache.probeTimeoutMs) + 1000;
}
