import type { CachedEntry } from './cache.service';

/** Where the cache-aside JSON entries live (CACHE_ENGINE): Valkey (or Redis), or memcached. */
export type CacheEngineName = 'valkey' | 'memcached';

/**
 * The engine boundary of cache-aside JSON entries: what CacheService.getOrLoad and its callers need from the
 * server that holds them. Two implementations: Valkey (Lua scripts, pub/sub wake-ups, a near cache kept
 * coherent by CLIENT TRACKING; in CacheService) and memcached (generations, `add`/`cas` locks, polling waiters;
 * MemcachedEntries). Structured entries (seat maps, profiles), sessions, leaderboards, queues and streams need
 * Valkey's data structures and stay there whatever the engine.
 */
export interface CacheAsideEngine {
  readonly name: CacheEngineName;
  /** True when a command would be sent now. */
  readonly isAvailable: boolean;

  /** The stampede lock: the owner token, null when another caller holds it; throws CacheUnavailableError. */
  acquire(logicalKey: string, ttlMs: number): Promise<string | null>;
  /** Releases or extends the lock only while `token` owns it. */
  release(logicalKey: string, token: string): Promise<boolean>;
  extend(logicalKey: string, token: string, ttlMs: number): Promise<boolean>;

  /** Resolves true when the key's loader finished (stored, or gave up), false after timeoutMs. */
  waitForFill(logicalKey: string, timeoutMs: number): Promise<boolean>;
  /** Tells the waiters of a key that its loader finished. */
  notifyFill(logicalKey: string): Promise<void>;

  /**
   * The fence of a load starting now (Valkey: its server time in µs; memcached: the invalidation generation):
   * an invalidation after it keeps the load's result out. undefined when unknown (the result is not stored).
   * On a cluster, the clock of the key's own shard.
   */
  loadFence(logicalKey: string): Promise<string | undefined>;

  /** A JSON entry; with grace or early refresh (needsFreshness), its freshness. null on a miss. */
  readJson<T>(
    logicalKey: string,
    graceSeconds: number,
    needsFreshness: boolean,
    kind: 'read' | 'script',
  ): Promise<CachedEntry<T> | null>;
  /** The gateway's hit path: the value, or null on a miss or a cached "not found". */
  /** `raw`, when the engine has it at hand: the value's JSON exactly as stored (an answer can be built around it). */
  cachedJson<T>(logicalKey: string): Promise<{ value: T; near: boolean; raw?: string } | null>;
  /** Stores a payload under its tags unless it or a tag was invalidated at or after `fence` ('' = no check). */
  storeJson(
    logicalKey: string,
    payload: string,
    ttl: number,
    tags: string[],
    fence: string,
  ): Promise<boolean>;

  /** Invalidates entries by key (fenced); entries deleted, -1 when unreachable. */
  delete(logicalKeys: string[]): Promise<number>;
  /** Invalidates every entry under these tags (fenced); entries deleted, -1 when unreachable. */
  invalidateTags(tags: string[]): Promise<number>;
  /** Removes (or invalidates) this project's entries; throws CacheUnavailableError when unreachable. */
  purge(): Promise<number>;
}
