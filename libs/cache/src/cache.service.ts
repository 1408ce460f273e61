import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform/config';
import { Attempt, CacheGuard, CommandKind } from './cache-guard';
import { CacheResult, GetOrLoadOptions, LoadTrace } from './cache.types';
import { FillNotifier } from './fill-notifier';
import { InfraKeys, NON_CACHE_KEY_PREFIXES, TAG_VERSION_TTL_SECONDS, fenceTtlSeconds } from './keys';
import { CacheUnavailableError, DistributedLock } from './distributed-lock';
import { runScript } from './scripts';
import { CacheStatsService } from './cache-stats.service';
import { NearCache } from './near-cache';
import { withDeadline } from './deadline';
import { masterConnections, ValkeyClient } from './valkey-client';
import { KeySpace } from './key-space';
import { NOT_FOUND, parseJsonEntry } from './json-entry';
import { CacheAsideEngine } from './cache-engine';
import { MemcachedEntries } from './memcached/memcached-entries';

/** An entry as read from the cache. */
export interface CachedEntry<T> {
  /** null: a cached "not found". */
  value: T | null;
  /** The value's JSON as stored, when read from Valkey. */
  raw?: string;
  /** Freshness left in ms; 0 or less: past its freshness, kept only for grace. Unknown: fresh. */
  freshForMs?: number;
  /** When it was stored (ms since the epoch), when the entry knows. */
  storedAt?: number;
  /** Answered from this process's near cache (no round trip to Valkey). */
  near?: boolean;
}

/** A failed load, as recorded for the callers that waited for it. */
export interface LoadFailure {
  kind: 'error' | 'timeout';
  reason: string;
  /** ms since the epoch. */
  at: number;
}

/** Thrown by the engine when a load failed: the loader's own error (cause), a timeout, or one shared by the owner. */
export class LoadFailedError extends Error {
  constructor(
    readonly failure: LoadFailure,
    readonly cause?: unknown,
  ) {
    super(failure.reason);
    this.name = 'LoadFailedError';
  }
}

/** How to read, load and store one entry, whatever its shape (see getOrBuild). */
export interface BuildSpec<T, L> {
  /** Logical key naming the entry: its lock, its wake-ups, its fence and the reported cacheKey. */
  key: string;
  queryClass: string;
  refresh?: boolean;
  tags: string[];
  loaderSource?: 'database' | 'upstream';
  /** Reads the entry: null on a miss (or when the cache could not answer). Should go through `guard`. */
  read: (kind: 'read' | 'script') => Promise<CachedEntry<T> | null>;
  /** Loads from the source; null means "not found". */
  load: () => Promise<L | null>;
  toValue: (loaded: L) => T;
  /**
   * Stores what was loaded (null: a "not found" marker) unless the entry or one of its tags was invalidated at or
   * after `fence` (Valkey server time in µs the load started). Returns true when stored.
   */
  store: (loaded: L | null, fence: string) => Promise<boolean>;
  /** Longest the loader may run (default CACHE_LOADER_TIMEOUT_MS). */
  loaderTimeoutMs?: number;
  /** Serve a value past its freshness (marked stale) for this long when the loader fails or times out. */
  graceMs?: number;
  /** A fresh hit with less freshness than this left is refreshed in the background by one caller. */
  earlyRefreshMs?: number;
  lockTtlMs?: number;
  /** How long a waiter waits for another process's load (default CACHE_LOCK_WAIT_MS). */
  lockWaitMs?: number;
  /** A failed load is recorded so that the callers that waited for it share the failure instead of retrying. */
  shareFailures?: boolean;
  /** Called after a load failed and before the waiters are woken (weather records its own failure shape). */
  onLoadFailed?: (failure: LoadFailure) => Promise<void>;
  /** Lock, wake-ups and fence of the entry's server (default Valkey: structured entries, weather readings). */
  engine?: CacheAsideEngine;
}

export interface SetOptions {
  ttl: number;
  tags?: string[];
}

/** Per-request state of one trip through the engine. */
interface Trip<T> {
  started: number;
  startedAt: number;
  trace: LoadTrace;
  /** An entry past its freshness, kept for grace. */
  stale: CachedEntry<T> | null;
}

/**
 * The stampede engine: cache-aside with the protections a production read path needs, written out on iovalkey.
 * - Coalescing first: concurrent callers of one key in one process share one read, one lock attempt and one load,
 *   so a burst of N requests costs O(1) Valkey commands per process.
 * - One loader per key across processes: an owner-token lock (extended by a watchdog while the loader runs),
 *   waiters woken by pub/sub when the value lands, a bounded wait (CACHE_LOCK_WAIT_MS) after which a waiter loads
 *   by itself, so an owner that died never blocks anyone longer than that.
 * - Fencing: every invalidation (by key: `delete`, by tag: `invalidateTags`) stamps the server time; a load that
 *   started before it never writes its result back.
 * - Grace (serve the last value, marked stale, when the loader fails or times out), early refresh (one caller
 *   reloads a value close to expiry while everyone keeps hitting), a loader timeout, negative caching.
 * - A dead cache (CacheGuard) falls through to the loader; a slow one keeps the lock working.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger('CacheService');
  /** In-process coalescing: one promise per key (and refresh flag) while it is being answered. */
  private readonly pending = new Map<string, Promise<CacheResult<unknown>>>();
  /** Keys this process is refreshing ahead of expiry. */
  private readonly refreshing = new Set<string>();
  /** The Valkey engine: always there (structured entries, fences of keys and tags kept in Valkey). */
  private readonly valkey: CacheAsideEngine;
  /** The engine of cache-aside JSON entries, chosen by CACHE_ENGINE. */
  readonly engine: CacheAsideEngine;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cacheGuard: CacheGuard,
    private readonly lock: DistributedLock,
    private readonly fill: FillNotifier,
    private readonly stats: CacheStatsService,
    private readonly near: NearCache,
    @Optional() @Inject(MemcachedEntries) memcached?: MemcachedEntries | null,
  ) {
    this.valkey = this.valkeyEngine();
    this.engine = memcached ?? this.valkey;
  }

  /** The Valkey implementation of the engine boundary: the lock, fill notifier and scripts of this file. */
  private valkeyEngine(): CacheAsideEngine {
    const guard = this.cacheGuard;
    return {
      name: 'valkey',
      get isAvailable() {
        return guard.isAvailable;
      },
      acquire: (key, ttlMs) => this.lock.acquire(key, ttlMs),
      release: (key, token) => this.lock.release(key, token),
      extend: (key, token, ttlMs) => this.lock.extend(key, token, ttlMs),
      waitForFill: (key, timeoutMs) => this.fill.waitFor(key, timeoutMs),
      notifyFill: (key) => this.fill.notify(key),
      loadFence: async (key) => {
        // The server's clock when loading starts: an invalidation after it makes the result unfit to cache.
        return guard.isAvailable ? this.serverTimeUs(key) : undefined;
      },
      readJson: (key, graceSeconds, needsFreshness, kind) =>
        this.readJson(key, graceSeconds, needsFreshness, kind),
      cachedJson: (key) => this.valkeyCachedJson(key),
      storeJson: (key, payload, ttl, tags, fence) => this.storeEntry(key, payload, ttl, tags, fence),
      delete: (keys) => this.valkeyDelete(keys),
      invalidateTags: (tags) => this.valkeyInvalidateTags(tags),
      purge: () => this.valkeyPurge(),
    };
  }

  /**
   * The clock (µs) of the server holding a key's shard (on one server: that server), which stamps the fences and
   * tag versions the key's store compares with; undefined when Valkey did not answer.
   */
  async serverTimeUs(logicalKey: string): Promise<string | undefined> {
    const time = await this.cacheGuard.run(
      (c) => runScript<number>(c, 'server-time', [this.key(logicalKey)]),
      'script',
    );
    return time === undefined ? undefined : String(time);
  }

  /** The key as stored in Valkey: prefixed and, on a cluster, in the shard of its entity (see KeySpace). */
  key(logical: string): string {
    return this.cacheGuard.key(logical);
  }

  /** The prefix and shards of every key. */
  get keySpace(): KeySpace {
    return this.cacheGuard.keys;
  }

  get isAvailable(): boolean {
    return this.cacheGuard.isAvailable;
  }

  /** The raw connection, for callers that build their own data structures (use `guard` to run commands). */
  get client(): ValkeyClient {
    return this.cacheGuard.client;
  }

  /** Runs a raw cache operation within its deadline; undefined when the cache is unavailable. */
  guard<T>(op: (client: ValkeyClient) => Promise<T>, kind: CommandKind = 'read'): Promise<T | undefined> {
    return this.cacheGuard.run(op, kind);
  }

  /** Runs a raw cache operation and says whether one that did not complete may still have run. */
  attempt<T>(op: (client: ValkeyClient) => Promise<T>, kind: CommandKind = 'script'): Promise<Attempt<T>> {
    return this.cacheGuard.attempt(op, kind);
  }

  /**
   * A JSON entry as stored (the gateway's hit path): from the near cache when this process holds it, else one
   * GET; null on a miss or a cached "not found". `near` says whether Valkey was asked at all.
   */
  cachedJson<T>(logicalKey: string): Promise<{ value: T; near: boolean; raw?: string } | null> {
    return this.engine.cachedJson<T>(logicalKey);
  }

  /**
   * A cache-aside JSON entry this process's near cache holds, at once (no promise, no round trip); undefined when it
   * is not in memory (then `cachedJson`), when the near cache is off, or with CACHE_ENGINE=memcached (no near cache).
   * A cached "not found" is undefined too: it is answered the usual way.
   */
  cachedJsonInMemory<T>(logicalKey: string): { value: T; raw?: string } | undefined {
    if (this.engine !== this.valkey) return undefined;
    const entry = this.near.peek<CachedEntry<T>>(this.key(logicalKey));
    return entry && entry.value !== null ? { value: entry.value, raw: entry.raw } : undefined;
  }

  private async valkeyCachedJson<T>(
    logicalKey: string,
  ): Promise<{ value: T; near: boolean; raw?: string } | null> {
    const got = await this.nearJson<T>(this.key(logicalKey));
    if (!got || got.entry.value === null) return null;
    return { value: got.entry.value, near: got.near, raw: got.entry.raw };
  }

  /**
   * An entry kept as data structures (the seat map's counters and bitmap, a profile's hash and sorted set), read
   * by `read` from the prefixed keys: from the near cache when this process holds it, else from Valkey. null on a
   * miss or a cached "not found".
   */
  async cachedStructure<T>(
    logicalKeys: string[],
    read: (client: ValkeyClient, keys: string[]) => Promise<{ value: T | null } | null>,
  ): Promise<{ value: T; near: boolean } | null> {
    const keys = logicalKeys.map((k) => this.key(k));
    const got = await this.near.readComposite(keys, () => this.cacheGuard.run((c) => read(c, keys)));
    if (!got || got.value.value === null) return null;
    return { value: got.value.value, near: got.near };
  }

  /** Waits until every invalidation Valkey sent so far reached this process's near cache (after a write). */
  nearBarrier(): Promise<void> {
    return this.near.barrier();
  }

  private async nearJson<T>(key: string): Promise<{ entry: CachedEntry<T>; near: boolean } | null> {
    const got = await this.near.read<CachedEntry<T>>(
      key,
      () => this.readWithTtl(key, 'read'),
      // The string is kept too: the gateway answers a hit with it as is, rather than serialize the value again.
      (raw) => ({ value: parseJsonEntry<T>(raw), raw }),
    );
    return got ? { entry: got.value, near: got.near } : null;
  }

  /** A string entry and its remaining TTL in ms, in one round trip; null on a miss, undefined when unavailable. */
  private readWithTtl(
    key: string,
    kind: CommandKind,
  ): Promise<{ raw: string; pttl: number } | null | undefined> {
    return this.cacheGuard.run(async (c) => {
      const [raw, pttl] = (await Promise.all([c.get(key), c.pttl(key)])) as [string | null, number];
      return raw === null ? null : { raw, pttl };
    }, kind);
  }

  /** Cache-aside of one JSON value: getOrBuild with a string entry. */
  async getOrLoad<T>(
    logicalKey: string,
    loader: () => Promise<T | null>,
    opts: GetOrLoadOptions<T>,
  ): Promise<CacheResult<T | null>> {
    const tags = opts.tags ?? [];
    const allTags = (value: T) => [...new Set([...tags, ...(opts.tagsOf?.(value) ?? [])])];
    const graceSeconds = opts.graceSeconds ?? 0;
    const engine = this.engine;
    return this.getOrBuild<T, T>({
      engine,
      key: logicalKey,
      queryClass: opts.queryClass,
      refresh: opts.refresh,
      tags,
      loaderSource: opts.loaderSource,
      loaderTimeoutMs: opts.loaderTimeoutMs,
      graceMs: graceSeconds * 1000,
      earlyRefreshMs: (opts.earlyRefreshSeconds ?? 0) * 1000,
      read: (kind) => engine.readJson<T>(logicalKey, graceSeconds, !!opts.earlyRefreshSeconds, kind),
      load: loader,
      toValue: (v) => v,
      store: (value, fence) =>
        value === null
          ? engine.storeJson(
              logicalKey,
              NOT_FOUND,
              opts.negativeTtl ?? this.config.cache.ttl.negative,
              tags,
              fence,
            )
          : engine.storeJson(
              logicalKey,
              JSON.stringify(value),
              opts.ttl + graceSeconds,
              allTags(value),
              fence,
            ),
    });
  }

  /**
   * The cache-aside core for any shape of entry (a JSON string, a hash + bitmap, weather with its own freshness):
   * read it; on a miss, build it once across all processes under the key's lock while the others wait for the fill
   * notification; store it only if nothing it depends on was invalidated meanwhile.
   */
  getOrBuild<T, L>(spec: BuildSpec<T, L>): Promise<CacheResult<T | null>> {
    const started = performance.now();
    if (!this.config.cache.coalesce) return this.answer(spec, started);
    const coalesceKey = `${spec.refresh ? 'r' : 'm'}|${spec.key}`;
    const shared = this.pending.get(coalesceKey) as Promise<CacheResult<T | null>> | undefined;
    if (shared) {
      this.stats.count(spec.queryClass, 'coalesced');
      // A joiner did not load: it is served what the shared trip stored (a hit), or what it loaded when that
      // could not be stored.
      return shared.then((r) => ({
        ...r,
        source: r.cacheKey ? 'cache' : r.source,
        latencyMs: performance.now() - started,
        trace: { ...(r.trace ?? { lock: 'none', lockWaitMs: 0 }), coalesced: true },
      }));
    }
    const answer = this.answer(spec, started).finally(() => this.pending.delete(coalesceKey));
    this.pending.set(coalesceKey, answer);
    return answer;
  }

  /**
   * Stores a value under its tags in Valkey, whatever the engine: its callers (the writer's booking facts) read it
   * back from Valkey by key.
   */
  async set(logicalKey: string, value: unknown, opts: SetOptions): Promise<boolean> {
    return this.storeEntry(logicalKey, JSON.stringify(value), opts.ttl, opts.tags ?? [], '');
  }

  /**
   * Invalidates entries by key: deletes them and fences them, so a load of one of them that started before this
   * call never writes its result back. Returns the number deleted; -1 when the cache was unreachable.
   */
  async delete(logicalKeys: string[]): Promise<number> {
    const n = await this.valkeyDelete(logicalKeys);
    return this.engine === this.valkey ? n : both(n, await this.engine.delete(logicalKeys));
  }

  private async valkeyDelete(logicalKeys: string[]): Promise<number> {
    if (logicalKeys.length === 0) return 0;
    // One script per shard: a key and its fence share a shard, keys of other shards are another script's.
    const counts = await Promise.all(
      this.byShard(logicalKeys).map((group) => {
        const keys = [...group.map((k) => this.key(k)), ...group.map((k) => this.key(InfraKeys.fence(k)))];
        return this.cacheGuard.run(
          (c) =>
            runScript<number>(c, 'delete-fenced', keys, [
              group.length,
              fenceTtlSeconds(this.config.cache.loaderTimeoutMs),
            ]),
          'script',
        );
      }),
    );
    this.near.drop(logicalKeys.map((k) => this.key(k)));
    return sumOrUnreachable(counts);
  }

  /**
   * The stored key of `logical` in the shard of `entity` (a flight's write-behind stream entries beside its seat
   * map, say); on one server simply key(logical).
   */
  keyBeside(entity: string, logical: string): string {
    const keys = this.cacheGuard.keys;
    return keys.keyIn(keys.shardOf(entity), logical);
  }

  /** The stored key of `logical` in every shard (streams, totals: one per shard). */
  keyInEveryShard(logical: string): string[] {
    const keys = this.cacheGuard.keys;
    return Array.from({ length: keys.shardCount }, (_, shard) => keys.keyIn(shard, logical));
  }

  /**
   * A new random reference whose status key (`statusKeyOf`) lands in the shard of `entity`, so that accepting a
   * write is one script (its status, its stream entry and the entity's state together). About CACHE_SHARDS tries.
   */
  referenceBeside(entity: string, statusKeyOf: (reference: string) => string): string {
    const keys = this.cacheGuard.keys;
    const shard = keys.shardOf(entity);
    for (;;) {
      const reference = randomUUID();
      if (keys.shardOf(statusKeyOf(reference)) === shard) return reference;
    }
  }

  /**
   * After a write of state of record (a write-behind booking): waits until CACHE_WAIT_REPLICAS replicas of the
   * server holding `entity` acknowledged it (WAIT), so a failover right after does not lose it. true when they
   * did (or none is asked for); false when fewer did within CACHE_SCRIPT_TIMEOUT_MS or the server did not answer:
   * the write stands on the primary, but may not survive its loss.
   */
  async replicated(entity: string): Promise<boolean> {
    const wanted = this.config.cache.waitReplicas;
    if (wanted === 0) return true;
    const timeoutMs = this.config.cache.scriptTimeoutMs;
    // WAIT has no key: in one pipeline with a read of the entity's key it goes to that key's server (on a
    // cluster), and on the connection that carried the write.
    const replies = await this.cacheGuard.run(
      (c) => c.pipeline().exists(this.key(entity)).wait(wanted, timeoutMs).exec(),
      'script',
    );
    const acked = replies?.[1]?.[1];
    return typeof acked === 'number' && acked >= wanted;
  }

  /** Logical keys grouped by shard (one group on one server). */
  private byShard(logicalKeys: string[]): string[][] {
    const keys = this.cacheGuard.keys;
    if (!keys.isSharded) return [logicalKeys];
    const groups = new Map<number, string[]>();
    for (const k of logicalKeys) {
      const shard = keys.shardOf(k);
      groups.set(shard, [...(groups.get(shard) ?? []), k]);
    }
    return [...groups.values()];
  }

  /**
   * The tag sets and versions an entry registers in: those of the entry's own shard (each tag has one set and one
   * version per shard, so the store is one script; invalidating a tag visits every shard).
   */
  tagKeysOf(logicalKey: string, tags: string[]): { sets: string[]; versions: string[] } {
    const keys = this.cacheGuard.keys;
    const shard = keys.shardOf(logicalKey);
    return {
      sets: tags.map((t) => keys.keyIn(shard, InfraKeys.tagSet(t))),
      versions: tags.map((t) => keys.keyIn(shard, InfraKeys.tagVersion(t))),
    };
  }

  /**
   * Deletes every entry under these tags in one atomic step and bumps the tags' versions (their fences).
   * Returns the number of entries deleted; -1 when the cache was unreachable (the caller may retry).
   */
  async invalidateTags(tags: string[]): Promise<number> {
    const n = await this.valkeyInvalidateTags(tags);
    return this.engine === this.valkey ? n : both(n, await this.engine.invalidateTags(tags));
  }

  private async valkeyInvalidateTags(tags: string[]): Promise<number> {
    if (tags.length === 0) return 0;
    // Every shard has its own set and version of each tag: the same script on each (see KeySpace).
    const keys = this.cacheGuard.keys;
    const counts = await Promise.all(
      Array.from({ length: keys.shardCount }, (_, shard) => {
        const shardKeys = [
          ...tags.map((t) => keys.keyIn(shard, InfraKeys.tagSet(t))),
          ...tags.map((t) => keys.keyIn(shard, InfraKeys.tagVersion(t))),
        ];
        return this.cacheGuard.run(
          (c) => runScript<number>(c, 'invalidate-tags', shardKeys, [tags.length, TAG_VERSION_TTL_SECONDS]),
          'script',
        );
      }),
    );
    // The deleted entries are known to the server only: wait for its invalidations to reach this process.
    await this.near.barrier();
    return sumOrUnreachable(counts);
  }

  /** The logical keys currently registered under a tag, in every shard (tests, diagnostics). */
  async keysOfTag(tag: string): Promise<string[]> {
    const keys = this.cacheGuard.keys;
    const members = await Promise.all(
      Array.from({ length: keys.shardCount }, (_, shard) =>
        this.cacheGuard.run((c) => c.smembers(keys.keyIn(shard, InfraKeys.tagSet(tag)))),
      ),
    );
    return members
      .flatMap((m) => m ?? [])
      .map((m) => keys.logicalOf(m) ?? m)
      .sort();
  }

  /**
   * DELETE /api/cache: removes this project's cached entries (its prefix only), leaving state of record
   * (write-behind bookings, queues) and bookkeeping alone. SCAN is fine here: an admin action, not a hot path.
   */
  async purgeCachedEntries(): Promise<number> {
    const n = await this.valkeyPurge();
    return this.engine === this.valkey ? n : n + (await this.engine.purge());
  }

  private async valkeyPurge(): Promise<number> {
    const keys = this.cacheGuard.keys;
    const isCache = (stored: string) => {
      const logical = keys.logicalOf(stored);
      return logical !== undefined && !NON_CACHE_KEY_PREFIXES.some((p) => logical.startsWith(p));
    };
    // Every master of a cluster holds its own part of the keys; one server holds them all.
    const deleted = await this.cacheGuard.run(async (c) => {
      const counts = await Promise.all(
        masterConnections(c).map(async (server) => {
          let n = 0;
          let cursor = '0';
          do {
            const [next, batch] = await server.scan(
              cursor,
              'MATCH',
              `${escapeGlob(keys.prefix)}*`,
              'COUNT',
              5000,
            );
            cursor = next;
            const doomed = batch.filter(isCache);
            // Keys of one batch may be in different slots: UNLINK them one by one on a cluster (pipelined).
            if (!keys.isSharded) n += doomed.length ? await server.unlink(...doomed) : 0;
            else for (const count of await Promise.all(doomed.map((k) => c.unlink(k)))) n += count;
          } while (cursor !== '0');
          return n;
        }),
      );
      return counts.reduce((a, b) => a + b, 0);
    }, 'script');
    if (deleted === undefined) throw new CacheUnavailableError();
    return deleted;
  }

  // -------------------------------------------------------------------------------------------------------------

  /** One caller's (or one coalesced group's) trip: hit, or load under the lock, or wait for the owner. */
  private async answer<T, L>(spec: BuildSpec<T, L>, started: number): Promise<CacheResult<T | null>> {
    const trip: Trip<T> = {
      started,
      startedAt: Date.now(),
      trace: { lock: 'none', lockWaitMs: 0 },
      stale: null,
    };
    if (!spec.refresh) {
      const entry = await spec.read('read');
      if (entry && this.isFresh(entry)) {
        const earlyRefresh = this.refreshAhead(spec, entry);
        return this.hit(spec, entry, trip, earlyRefresh ? { earlyRefresh } : undefined);
      }
      if (entry) trip.stale = entry;
    }
    if (!this.engineOf(spec).isAvailable) return this.loadDirectly(spec, trip);
    return this.throughLock(spec, trip);
  }

  private async throughLock<T, L>(spec: BuildSpec<T, L>, trip: Trip<T>): Promise<CacheResult<T | null>> {
    const engine = this.engineOf(spec);
    const lockTtlMs = spec.lockTtlMs ?? this.config.cache.lockTtlMs;
    const deadline = Date.now() + (spec.lockWaitMs ?? this.config.cache.lockWaitMs);
    let refresh = !!spec.refresh;
    // A refresh accepts only a value stored after it was asked for (when the entry knows when it was stored).
    const usable = (e: CachedEntry<T> | null): e is CachedEntry<T> =>
      !!e && this.isFresh(e) && (!refresh || e.storedAt === undefined || e.storedAt >= trip.startedAt);

    while (Date.now() < deadline) {
      let token: string | null;
      try {
        token = await engine.acquire(spec.key, lockTtlMs);
      } catch (e) {
        if (e instanceof CacheUnavailableError) break;
        throw e;
      }
      if (token) {
        trip.trace.lock = 'acquired';
        try {
          // Someone may have filled the key between our miss and our lock.
          if (!spec.refresh) {
            const current = await spec.read('script');
            if (usable(current)) return this.hit(spec, current, trip);
            if (current) trip.stale = current;
          }
          return await this.loadAndStore(spec, trip, token, lockTtlMs);
        } finally {
          await engine.release(spec.key, token);
          // Wake the waiters whether we stored a value or failed: they re-check and one of them takes over.
          await engine.notifyFill(spec.key);
        }
      }

      // Another request or process is loading: wait for its notification, then read what it stored.
      this.stats.count(spec.queryClass, 'waits');
      trip.trace.lock = 'waited';
      const waitStarted = performance.now();
      const woken = engine.waitForFill(spec.key, Math.max(1, Math.min(lockTtlMs, deadline - Date.now())));
      // The owner may have finished between our failed acquire and our subscription: look once more.
      let entry = await spec.read('script');
      if (usable(entry)) {
        trip.trace.wokenBy = 'recheck';
      } else {
        trip.trace.wokenBy = (await woken) ? 'notification' : 'timeout';
        entry = await spec.read('script');
      }
      trip.trace.lockWaitMs += performance.now() - waitStarted;
      if (usable(entry)) return this.hit(spec, entry, trip);
      if (entry) trip.stale = entry;
      if (spec.shareFailures) {
        const failure = await this.readFailure(spec.key);
        // The owner's load failed while we waited: share its outcome instead of loading again.
        if (failure && failure.at >= trip.startedAt) return this.failed(spec, trip, failure);
      }
      // The owner vanished without a result (crashed, or its lock expired), or a refresh waited for a load that
      // is not ours: try to take over.
      refresh = false;
    }
    // The cache is unavailable, or no owner delivered within the wait: load by ourselves (bounded, never forever).
    return this.loadDirectly(spec, trip);
  }

  /** Loads without the lock (cache down, or the wait ran out); stores only when the load's start is known. */
  private async loadDirectly<T, L>(spec: BuildSpec<T, L>, trip: Trip<T>): Promise<CacheResult<T | null>> {
    if (!this.engineOf(spec).isAvailable) {
      this.stats.count(spec.queryClass, 'bypassed');
      trip.trace.lock = 'bypassed';
      trip.trace.cacheUnavailable = true;
    }
    return this.loadAndStore(spec, trip, null, 0);
  }

  private async loadAndStore<T, L>(
    spec: BuildSpec<T, L>,
    trip: Trip<T>,
    token: string | null,
    lockTtlMs: number,
  ): Promise<CacheResult<T | null>> {
    const engine = this.engineOf(spec);
    // Where invalidations stand when loading starts: one after it makes the result unfit to cache.
    const fence = await engine.loadFence(spec.key);
    // The owner keeps its lock while its loader runs, however long that takes (up to the loader timeout).
    const watchdog = token
      ? setInterval(() => void engine.extend(spec.key, token, lockTtlMs), Math.max(50, lockTtlMs / 3))
      : undefined;
    this.stats.count(spec.queryClass, 'loads');
    const loadStarted = performance.now();
    let loaded: L | null;
    try {
      const loaderMs = spec.loaderTimeoutMs ?? this.config.cache.loaderTimeoutMs;
      loaded = await withDeadline(
        spec.load(),
        loaderMs,
        () => new SourceTimeoutError(`the source did not answer within ${loaderMs} ms`),
      );
    } catch (e) {
      trip.trace.loadMs = performance.now() - loadStarted;
      const failure: LoadFailure = {
        kind: e instanceof SourceTimeoutError ? 'timeout' : 'error',
        reason: (e as Error)?.message ?? String(e),
        at: Date.now(),
      };
      if (spec.shareFailures) await this.recordFailure(spec.key, failure);
      await spec.onLoadFailed?.(failure);
      if (trip.stale && this.withinGrace(spec, trip.stale)) return this.serveStale(spec, trip, failure);
      throw e;
    } finally {
      clearInterval(watchdog);
    }
    trip.trace.loadMs = performance.now() - loadStarted;
    if (loaded === null) this.stats.count(spec.queryClass, 'negative');
    // Start time unknown (cache down) means freshness cannot be proven: do not store.
    const stored = fence !== undefined && (await spec.store(loaded, fence));
    const source = spec.loaderSource ?? 'database';
    const ms = performance.now() - trip.started;
    this.stats.record(spec.queryClass, source, ms);
    return {
      value: loaded === null ? null : spec.toValue(loaded),
      source,
      latencyMs: ms,
      cacheKey: stored ? this.key(spec.key) : null,
      trace: trip.trace,
    };
  }

  /** A waiter whose owner failed: the stale value within grace, or the owner's failure. */
  private failed<T, L>(spec: BuildSpec<T, L>, trip: Trip<T>, failure: LoadFailure): CacheResult<T | null> {
    if (trip.stale && this.withinGrace(spec, trip.stale)) return this.serveStale(spec, trip, failure);
    throw new LoadFailedError(failure);
  }

  private serveStale<T, L>(
    spec: BuildSpec<T, L>,
    trip: Trip<T>,
    failure: LoadFailure,
  ): CacheResult<T | null> {
    const stale = trip.stale!;
    this.stats.count(spec.queryClass, 'stale');
    const since = stale.storedAt ? `; serving the value from ${new Date(stale.storedAt).toISOString()}` : '';
    return {
      ...this.hit(spec, stale, trip),
      stale: true,
      trace: { ...trip.trace, staleReason: `${failure.reason}${since}` },
    };
  }

  private hit<T, L>(
    spec: BuildSpec<T, L>,
    entry: CachedEntry<T>,
    trip: Trip<T>,
    extra?: Partial<LoadTrace>,
  ): CacheResult<T | null> {
    const ms = performance.now() - trip.started;
    if (entry.near) this.stats.count(spec.queryClass, 'nearHits');
    this.stats.record(spec.queryClass, 'cache', ms);
    const plain = trip.trace.lock === 'none' && !extra;
    return {
      value: entry.value,
      source: 'cache',
      latencyMs: ms,
      cacheKey: this.key(spec.key),
      ...(plain ? {} : { trace: { ...trip.trace, ...extra } }),
    };
  }

  /**
   * Early refresh: a hit within `earlyRefreshMs` of expiry reloads the entry in the background under the lock,
   * while this and every other request keeps being served the current value. True when this hit started it.
   */
  private refreshAhead<T, L>(spec: BuildSpec<T, L>, entry: CachedEntry<T>): boolean {
    const windowMs = spec.earlyRefreshMs ?? 0;
    if (windowMs <= 0 || entry.value === null || entry.freshForMs === undefined) return false;
    if (entry.freshForMs > windowMs || this.refreshing.has(spec.key)) return false;
    this.refreshing.add(spec.key);
    const lockTtlMs = spec.lockTtlMs ?? this.config.cache.lockTtlMs;
    const engine = this.engineOf(spec);
    const refresh = async () => {
      const token = await engine.acquire(spec.key, lockTtlMs).catch(() => null);
      if (!token) return; // another request or process is loading it already
      try {
        const current = await spec.read('script');
        if (current && current.freshForMs !== undefined && current.freshForMs > windowMs) return; // done elsewhere
        const trip: Trip<T> = {
          started: performance.now(),
          startedAt: Date.now(),
          trace: { lock: 'acquired', lockWaitMs: 0 },
          stale: current ?? entry,
        };
        await this.loadAndStore(spec, trip, token, lockTtlMs);
      } finally {
        await engine.release(spec.key, token);
        await engine.notifyFill(spec.key);
      }
    };
    refresh()
      .catch((e: Error) => this.logger.warn(`early refresh of ${spec.key} failed: ${e.message}`))
      .finally(() => this.refreshing.delete(spec.key));
    return true;
  }

  private engineOf<T, L>(spec: BuildSpec<T, L>): CacheAsideEngine {
    return spec.engine ?? this.valkey;
  }

  private isFresh(entry: CachedEntry<unknown>): boolean {
    return entry.freshForMs === undefined || entry.freshForMs > 0;
  }

  private withinGrace<T, L>(spec: BuildSpec<T, L>, entry: CachedEntry<T>): boolean {
    if (entry.value === null) return false;
    return entry.freshForMs === undefined || entry.freshForMs > -(spec.graceMs ?? 0);
  }

  private async recordFailure(key: string, failure: LoadFailure): Promise<void> {
    await this.cacheGuard.run(
      (c) => c.set(this.key(InfraKeys.loadFailure(key)), JSON.stringify(failure), 'PX', FAILURE_TTL_MS),
      'script',
    );
  }

  private async readFailure(key: string): Promise<LoadFailure | null> {
    const raw = await this.cacheGuard.run((c) => c.get(this.key(InfraKeys.loadFailure(key))), 'script');
    return raw ? (JSON.parse(raw) as LoadFailure) : null;
  }

  /** A JSON entry; with grace or early refresh, its freshness is its remaining TTL (less the grace). */
  private async readJson<T>(
    logicalKey: string,
    graceSeconds: number,
    needsFreshness: boolean,
    kind: 'read' | 'script',
  ): Promise<CachedEntry<T> | null> {
    const key = this.key(logicalKey);
    if (graceSeconds <= 0 && !needsFreshness) {
      // The first look of a request may be answered from memory; a look under the lock always asks Valkey.
      if (kind === 'read') {
        const got = await this.nearJson<T>(key);
        return got ? { ...got.entry, near: got.near } : null;
      }
      const raw = await this.cacheGuard.run((c) => c.get(key), kind);
      if (raw === undefined || raw === null) return null;
      return { value: parseJsonEntry<T>(raw) };
    }
    const got = await this.readWithTtl(key, kind);
    if (!got) return null;
    return {
      value: parseJsonEntry<T>(got.raw),
      freshForMs: got.pttl < 0 ? undefined : got.pttl - graceSeconds * 1000,
    };
  }

  /**
   * Stores one string entry under its tags unless it or a tag was invalidated at or after `fence` (the server time,
   * in µs, its load started; '' = no check). For entries with a shape of their own (weather).
   */
  async storeEntry(
    logicalKey: string,
    payload: string,
    ttl: number,
    tags: string[],
    fence: string,
  ): Promise<boolean> {
    const tagKeys = this.tagKeysOf(logicalKey, tags);
    const keys = [
      this.key(logicalKey),
      this.key(InfraKeys.fence(logicalKey)),
      ...tagKeys.sets,
      ...tagKeys.versions,
    ];
    const ok = await this.cacheGuard.run(
      (c) => runScript<number>(c, 'set-with-tags', keys, [payload, ttl, tags.length, fence]),
      'script',
    );
    this.near.drop([keys[0]]);
    if (ok === 0) this.logger.debug(`not caching ${logicalKey}: it was invalidated while it loaded`);
    return ok === 1;
  }
}

/** A failure is shared with the requests that waited for it; it only has to outlive their wake-up. */
const FAILURE_TTL_MS = 30_000;

/** A loader that gave up on its source in time throws this (or the engine does, at the loader timeout). */
export class SourceTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceTimeoutError';
  }
}

/** The outcome of one invalidation run on several shards: -1 when any was unreachable (the caller may retry). */
function sumOrUnreachable(counts: (number | undefined)[]): number {
  return counts.some((n) => n === undefined) ? -1 : counts.reduce<number>((a, b) => a + (b as number), 0);
}

/** The outcome of one invalidation on two servers: -1 when either was unreachable (the caller may retry). */
function both(a: number, b: number): number {
  return a < 0 || b < 0 ? -1 : a + b;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
