/**
 * Every metric the apps export besides prom-client's process metrics (`process_*`, `nodejs_*`), with where it comes
 * from. These names are public behaviour (dashboards and alerts use them): add, never rename. Every series also has
 * the label `app`. The README's metrics table is this list.
 *
 * Label `source` of cmiyc_cache_hits_total: `remote` (a hit in Valkey) or `near` (a hit in the process's near cache,
 * L1). Of cmiyc_cache_request_duration_seconds: `cache` (a hit, near or remote), `database` or `upstream` (a load).
 */
export interface MetricSpec {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: readonly string[];
  /** Which app exports it: every app, the gateway (figures shared by all processes), or one service. */
  exportedBy: 'every app' | 'gateway' | 'every service' | 'writer-service' | 'cache-warmer';
  help: string;
}

export const METRIC_SPECS = [
  // Per process: HTTP (gateway) and messages (services).
  {
    name: 'cmiyc_http_request_duration_seconds',
    type: 'histogram',
    labels: ['method', 'route', 'status'],
    exportedBy: 'gateway',
    help: 'HTTP requests by route template and status code, and how long they took (its _count is the request rate)',
  },
  {
    name: 'cmiyc_gateway_early_hits_total',
    type: 'counter',
    labels: ['stage'],
    exportedBy: 'gateway',
    help: 'Cache hits the gateway answered early, for a URL of a read route it had validated before: stage="lane" before Fastify (from the near cache), stage="hook" in its first HTTP hook',
  },
  {
    name: 'cmiyc_rpc_duration_seconds',
    type: 'histogram',
    labels: ['pattern', 'outcome'],
    exportedBy: 'every service',
    help: 'Messages a service answered, by pattern and outcome (ok, 4xx, 5xx), and how long they took',
  },
  // Per process: the cache failure detector (CacheGuard).
  {
    name: 'cmiyc_cache_breaker_open',
    type: 'gauge',
    labels: [],
    exportedBy: 'every app',
    help: "1 while this process's cache breaker is open (Valkey found dead: reads go to the source), else 0",
  },
  {
    name: 'cmiyc_cache_health',
    type: 'gauge',
    labels: ['state'],
    exportedBy: 'every app',
    help: 'Valkey as this process sees it: 1 for the current state (up, degraded, down), 0 for the others',
  },
  {
    name: 'cmiyc_cache_commands_bypassed_total',
    type: 'counter',
    labels: [],
    exportedBy: 'every app',
    help: 'Cache commands this process did not send or gave up on (breaker open, connection down, timeout, failure)',
  },
  // Shared by every process (kept in Valkey by CacheStatsService), exported by the gateway only.
  {
    name: 'cmiyc_cache_hits_total',
    type: 'counter',
    labels: ['query_class', 'source'],
    exportedBy: 'gateway',
    help: 'Requests answered from a cache, per query class; source="remote" is Valkey, source="near" the in-process near cache',
  },
  {
    name: 'cmiyc_cache_misses_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: 'Requests answered from the source (database or upstream API), per query class',
  },
  {
    name: 'cmiyc_cache_loads_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: 'Loader calls (database queries, provider calls): fewer than misses when concurrent misses shared one load',
  },
  {
    name: 'cmiyc_cache_coalesced_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: 'Requests that joined a read or load already in flight in the same process (stampede protection)',
  },
  {
    name: 'cmiyc_cache_lock_waits_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: "Requests that waited for another process's loader (the lock) instead of loading (stampede protection)",
  },
  {
    name: 'cmiyc_cache_bypassed_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: 'Requests served without the cache (breaker open, cache=false)',
  },
  {
    name: 'cmiyc_cache_negative_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: '"Not found" answers stored or served as negative entries',
  },
  {
    name: 'cmiyc_cache_stale_total',
    type: 'counter',
    labels: ['query_class'],
    exportedBy: 'gateway',
    help: 'Stale values served within their grace because the reload failed or timed out',
  },
  {
    name: 'cmiyc_cache_request_duration_seconds',
    type: 'histogram',
    labels: ['query_class', 'source'],
    exportedBy: 'gateway',
    help: 'Latency measured inside the service per query class and source: cache (a hit, near or remote) or database/upstream (a load: the load time)',
  },
  {
    name: 'cmiyc_shared_figures_up',
    type: 'gauge',
    labels: [],
    exportedBy: 'gateway',
    help: '1 when the shared figures (statistics, write-behind stream) could be read from Valkey at this scrape',
  },
  // The write path, shared: queues and the write-behind stream (gateway).
  {
    name: 'cmiyc_queue_jobs',
    type: 'gauge',
    labels: ['queue', 'state'],
    exportedBy: 'gateway',
    help: 'BullMQ jobs per queue and state (waiting, active, delayed, prioritized, failed, completed)',
  },
  {
    name: 'cmiyc_queue_up',
    type: 'gauge',
    labels: ['queue'],
    exportedBy: 'gateway',
    help: '1 when the queue server answered for this queue at this scrape, else 0',
  },
  {
    name: 'cmiyc_write_behind_stream_length',
    type: 'gauge',
    labels: [],
    exportedBy: 'gateway',
    help: 'Entries in the write-behind stream',
  },
  {
    name: 'cmiyc_write_behind_pending',
    type: 'gauge',
    labels: [],
    exportedBy: 'gateway',
    help: 'Bookings accepted (202) and not yet persisted by a flusher',
  },
  {
    name: 'cmiyc_write_behind_oldest_age_seconds',
    type: 'gauge',
    labels: [],
    exportedBy: 'gateway',
    help: 'How long the oldest booking not yet persisted has waited (0 when none)',
  },
  {
    name: 'cmiyc_write_behind_consumer_lag',
    type: 'gauge',
    labels: ['group'],
    exportedBy: 'gateway',
    help: 'Stream entries not yet delivered to any flusher of the consumer group',
  },
  {
    name: 'cmiyc_invalidation_lag_recent_seconds',
    type: 'gauge',
    labels: ['stat'],
    exportedBy: 'gateway',
    help: 'Invalidation lag (event committed -> its keys gone) over the last samples of every warmer (stat: p50, p99, max)',
  },
  // Per service: the writer's flusher and the warmer's invalidations.
  {
    name: 'cmiyc_write_behind_flushed_total',
    type: 'counter',
    labels: ['outcome'],
    exportedBy: 'writer-service',
    help: 'Write-behind bookings this flusher finished: persisted, or refused (seat taken in the database)',
  },
  {
    name: 'cmiyc_write_behind_batches_total',
    type: 'counter',
    labels: [],
    exportedBy: 'writer-service',
    help: 'Batches this flusher inserted and acknowledged',
  },
  {
    name: 'cmiyc_write_behind_retries_total',
    type: 'counter',
    labels: [],
    exportedBy: 'writer-service',
    help: 'Batch inserts this flusher retried because the database failed',
  },
  {
    name: 'cmiyc_invalidation_lag_seconds',
    type: 'histogram',
    labels: [],
    exportedBy: 'cache-warmer',
    help: 'Invalidation lag measured by this warmer: event committed -> its tagged keys gone',
  },
] as const satisfies readonly MetricSpec[];

export type MetricName = (typeof METRIC_SPECS)[number]['name'];

export function metricSpec(name: MetricName): MetricSpec {
  return METRIC_SPECS.find((m) => m.name === name)!;
}
