/** Where a value came from: the cache, the database (a miss), or an external API (weather). */
export type CacheSource = 'cache' | 'database' | 'upstream';

/**
 * How a request got its answer with respect to the stampede lock:
 * - none: a fresh cache hit, no lock involved;
 * - acquired: this request took the lock (and loaded, unless the value landed meanwhile);
 * - waited: another request or process held the lock; this one was served what it stored;
 * - bypassed: no lock (the cache is unavailable, or the caller asked for no cache).
 */
export type LockRole = 'none' | 'acquired' | 'waited' | 'bypassed';

/**
 * What ended a wait: the owner's fill notification (pub/sub), the value already there when the waiter looked once
 * more right after subscribing, the shared promise of this process, or the wait timing out (the owner vanished).
 */
export type WakeUp = 'notification' | 'recheck' | 'in-process' | 'timeout';

/** The engine's account of one request (weather shows it in its meta; statistics count it). */
export interface LoadTrace {
  lock: LockRole;
  /** Time spent waiting for another request's load (0 when none). */
  lockWaitMs: number;
  wokenBy?: WakeUp;
  /** Duration of the loader call this request made (only when it made one). */
  loadMs?: number;
  /** This hit was close to expiry and started a background refresh. */
  earlyRefresh?: boolean;
  /** Served past its freshness because the loader failed: why. */
  staleReason?: string;
  /** The cache could not be used: the loader was called directly. */
  cacheUnavailable?: boolean;
  /** This request joined another one of the same process (no Valkey command of its own). */
  coalesced?: boolean;
}

/** What every cached read returns; the gateway turns it into the contract's envelope. */
export interface CacheResult<T> {
  value: T;
  source: CacheSource;
  /** Measured inside the service: cache GET time on a hit; load time plus cache SET on a miss. */
  latencyMs: number;
  /** Prefixed key as stored in Valkey (null when nothing was cached). */
  cacheKey: string | null;
  /** True when the value was served past its freshness because the source failed (grace). */
  stale?: boolean;
  trace?: LoadTrace;
}

export interface GetOrLoadOptions<T = unknown> {
  /** Statistics bucket (the operation's queryClass in libs/contracts). */
  queryClass: string;
  /** TTL in seconds. */
  ttl: number;
  /** Tags the entry belongs to (see Tags); invalidating one removes the entry. */
  tags?: string[];
  /** More tags that only the loaded value reveals (the flights in a search...), registered in the same store. */
  tagsOf?: (value: T) => string[];
  /** Skip the cache read, load from the source and overwrite the entry (`?refresh=true`). */
  refresh?: boolean;
  /** TTL of the "not found" entry written when the loader returns null (default TTL_NEGATIVE). */
  negativeTtl?: number;
  /** Reported source on a miss: 'database' (default) or 'upstream'. */
  loaderSource?: 'database' | 'upstream';
  /**
   * Grace: keep the entry this many seconds past its TTL and serve it, marked stale, when a reload fails or times
   * out. 0 (default): no grace. Entries the gateway answers by itself should not use it (it cannot tell stale).
   */
  graceSeconds?: number;
  /** Refresh-ahead: a hit with less than this many seconds of freshness left reloads it in the background. */
  earlyRefreshSeconds?: number;
  /** Longest the loader may run (default CACHE_LOADER_TIMEOUT_MS). */
  loaderTimeoutMs?: number;
}
