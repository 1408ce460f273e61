import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG } from '@app/platform/config';
import { AppConfig } from '@app/platform/config';
import { CacheGuard } from './cache-guard';
import { CacheResult, GetOrLoadOptions } from './cache.types';
import { FillNotifier } from './fill-notifier';
import { InfraKeys, NON_CACHE_KEY_PREFIXES, TAG_VERSION_TTL_SECONDS } from './keys';
import { CacheUnavailableError, DistributedLock } from './lock';
import { INVALIDATE_TAGS, SET_WITH_TAGS, serverMicros } from './lua';
import { CacheStatsService } from './stats.service';
import { ValkeyClient } from './valkey-client';

/** Stored for "not found": JSON never starts with a NUL, so it cannot collide with a real value. */
const NOT_FOUND = '\u0000nf';

/** True for the entry getOrLoad stores when the loader found nothing. */
export function isNotFoundEntry(raw: string): boolean {
  return raw === NOT_FOUND;
}

/** How to read, load and store one entry, whatever its shape (see getOrBuild). */
export interface BuildSpec<T, L> {
  /** Logical key naming the entry: its lock, its wake-ups and the reported cacheKey. */
  key: string;
  queryClass: string;
  refresh?: boolean;
  tags: string[];
  loaderSource?: 'database' | 'upstream';
  /** Reads the entry: null on a miss, { value: null } for a cached "not found". Should go through `guard`. */
  read: () => Promise<{ value: T | null } | null>;
  /** Loads from the source; null means "not found". */
  load: () => Promise<L | null>;
  toValue: (loaded: L) => T;
  /**
   * Stores what was loaded (null: a "not found" marker) unless one of its tags was invalidated at or after
   * `loadStartedUs` (Valkey server time in µs; compare with the tag versions). Returns true when stored.
   */
  store: (loaded: L | null, loadStartedUs: string) => Promise<boolean>;
}

export interface SetOptions {
  ttl: number;
  tags?: string[];
}

/**
 * Cache-aside with the protections a production read path needs, written out on iovalkey:
 * - one loader call per key across all processes (a lock with an owner token), waiters woken by pub/sub when the
 *   value lands, a bounded wait after which a waiter loads by itself, and one shared promise per key in-process;
 * - tags (a set of keys per tag) for exact invalidation without SCAN, with tag versions so a load that raced an
 *   invalidation never writes its stale result back;
 * - negative caching of "not found";
 * - a dead or slow cache falls through to the loader (CacheGuard: timeout + circuit breaker).
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger('CacheService');
  private readonly inflight = new Map<string, Promise<CacheResult<unknown>>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cacheGuard: CacheGuard,
    private readonly lock: DistributedLock,
    private readonly fill: FillNotifier,
    private readonly stats: CacheStatsService,
  ) {}

  /** Prefixed key as stored in Valkey. */
  key(logical: string): string {
    return this.cacheGuard.key(logical);
  }

  get isAvailable(): boolean {
    return this.cacheGuard.isAvailable;
  }

  /** The raw connection, for callers that build their own data structures (use `guard` to run commands). */
  get client(): ValkeyClient {
    return this.cacheGuard.client;
  }

  /** Runs a raw cache operation through the timeout and circuit breaker; undefined when the cache is unavailable. */
  guard<T>(op: (client: ValkeyClient) => Promise<T>): Promise<T | undefined> {
    return this.cacheGuard.run(op);
  }

  async getOrLoad<T>(
    logicalKey: string,
    loader: () => Promise<T | null>,
    opts: GetOrLoadOptions<T>,
  ): Promise<CacheResult<T | null>> {
    const tags = opts.tags ?? [];
    const allTags = (value: T) => [...new Set([...tags, ...(opts.tagsOf?.(value) ?? [])])];
    return this.getOrBuild<T, T>({
      key: logicalKey,
      queryClass: opts.queryClass,
      refresh: opts.refresh,
      tags,
      loaderSource: opts.loaderSource,
      read: () => this.read<T>(logicalKey),
      load: loader,
      toValue: (v) => v,
      store: (value, loadStartedUs) =>
        value === null
          ? this.store(
              logicalKey,
              NOT_FOUND,
              opts.negativeTtl ?? this.config.cache.ttl.negative,
              tags,
              loadStartedUs,
            )
          : this.store(logicalKey, JSON.stringify(value), opts.ttl, allTags(value), loadStartedUs),
    });
  }

  /**
   * The cache-aside core for any shape of entry (a JSON string, or a hash + bitmap...): read it; on a miss, build it
   * once across all processes under the key's lock while the others wait for the fill notification; store it only if
   * none of its tags was invalidated meanwhile. `getOrLoad` is this with a JSON string.
   */
  async getOrBuild<T, L>(spec: BuildSpec<T, L>): Promise<CacheResult<T | null>> {
    const started = performance.now();
    if (!spec.refresh) {
      const hit = await spec.read();
      if (hit) return this.hit(spec, hit.value, started);
    }
    // Concurrent misses in this process share one build (and one trip through the lock).
    const flightKey = `${spec.refresh ? 'r' : 'm'}|${spec.key}`;
    const shared = this.inflight.get(flightKey) as Promise<CacheResult<T | null>> | undefined;
    if (shared) {
      this.stats.count(spec.queryClass, 'coalesced');
      return shared;
    }
    const promise = this.buildThroughLock(spec, started).finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, promise);
    return promise;
  }

  /** Stores a value under its tags (write-through and warming). */
  async set(logicalKey: string, value: unknown, opts: SetOptions): Promise<boolean> {
    return this.store(logicalKey, JSON.stringify(value), opts.ttl, opts.tags ?? [], '');
  }

  async delete(logicalKeys: string[]): Promise<number> {
    if (logicalKeys.length === 0) return 0;
    return (await this.cacheGuard.run((c) => c.unlink(...logicalKeys.map((k) => this.key(k))))) ?? 0;
  }

  /**
   * Deletes every entry under these tags in one atomic step and bumps the tags' versions.
   * Returns the number of entries deleted; -1 when the cache was unreachable (the caller may retry).
   */
  async invalidateTags(tags: string[]): Promise<number> {
    if (tags.length === 0) return 0;
    const keys = [
      ...tags.map((t) => this.key(InfraKeys.tagSet(t))),
      ...tags.map((t) => this.key(InfraKeys.tagVersion(t))),
    ];
    const n = await this.cacheGuard.run(
      (c) =>
        c.eval(
          INVALIDATE_TAGS,
          keys.length,
          ...keys,
          String(tags.length),
          String(TAG_VERSION_TTL_SECONDS),
        ) as Promise<number>,
    );
    return n ?? -1;
  }

  /** The logical keys currently registered under a tag (tests, diagnostics). */
  async keysOfTag(tag: string): Promise<string[]> {
    const members = (await this.cacheGuard.run((c) => c.smembers(this.key(InfraKeys.tagSet(tag))))) ?? [];
    return members.map((m) => m.slice(this.config.cache.keyPrefix.length)).sort();
  }

  /**
   * DELETE /api/cache: removes this project's cached entries (its prefix only), leaving state of record
   * (write-behind bookings, queues) and bookkeeping alone. SCAN is fine here: an admin action, not a hot path.
   */
  async flushProjectKeys(): Promise<number> {
    const prefix = this.config.cache.keyPrefix;
    const keep = NON_CACHE_KEY_PREFIXES.map((p) => prefix + p);
    const deleted = await this.cacheGuard.run(async (c) => {
      let n = 0;
      let cursor = '0';
      do {
        const [next, batch] = await c.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 5000);
        cursor = next;
        const doomed = batch.filter((k) => !keep.some((p) => k.startsWith(p)));
        if (doomed.length) n += await c.unlink(...doomed);
      } while (cursor !== '0');
      return n;
    });
    if (deleted === undefined) throw new CacheUnavailableError();
    return deleted;
  }

  // -------------------------------------------------------------------------------------------------------------

  private async read<T>(logicalKey: string): Promise<{ value: T | null } | null> {
    const raw = await this.cacheGuard.run((c) => c.get(this.key(logicalKey)));
    if (raw === undefined || raw === null) return null;
    if (raw === NOT_FOUND) return { value: null };
    return { value: JSON.parse(raw) as T };
  }

  private async buildThroughLock<T, L>(
    spec: BuildSpec<T, L>,
    started: number,
  ): Promise<CacheResult<T | null>> {
    const { lockTtlMs, lockWaitMs } = this.config.cache;
    const deadline = Date.now() + lockWaitMs;
    let refresh = spec.refresh;
    while (this.cacheGuard.isAvailable && Date.now() < deadline) {
      let token: string | null;
      try {
        token = await this.lock.acquire(spec.key, lockTtlMs);
      } catch (e) {
        if (e instanceof CacheUnavailableError) break;
        throw e;
      }
      if (token) {
        try {
          // Someone may have filled the key between our miss and our lock.
          if (!refresh) {
            const hit = await spec.read();
            if (hit) return this.hit(spec, hit.value, started);
          }
          return await this.build(spec, started);
        } finally {
          await this.lock.release(spec.key, token);
          // Wake the waiters whether we stored a value or failed: they re-check and one of them takes over.
          await this.fill.notify(spec.key);
        }
      }
      // Another process is building: wait for its notification, then read what it stored.
      this.stats.count(spec.queryClass, 'waits');
      const waiting = this.fill.waitFor(spec.key, Math.max(1, deadline - Date.now()));
      // The value may have landed before we subscribed to the wake-up: look once more.
      const early = refresh ? null : await spec.read();
      if (early) return this.hit(spec, early.value, started);
      await waiting;
      const hit = await spec.read();
      if (hit) return this.hit(spec, hit.value, started);
      refresh = false;
    }
    // Cache unavailable, or the owner did not deliver in time: build by ourselves (bounded wait, never forever).
    if (!this.cacheGuard.isAvailable) this.stats.count(spec.queryClass, 'bypassed');
    return this.build(spec, started);
  }

  private hit<T, L>(spec: BuildSpec<T, L>, value: T | null, started: number): CacheResult<T | null> {
    const ms = performance.now() - started;
    this.stats.record(spec.queryClass, 'cache', ms);
    return { value, source: 'cache', latencyMs: ms, cacheKey: this.key(spec.key) };
  }

  private async build<T, L>(spec: BuildSpec<T, L>, started: number): Promise<CacheResult<T | null>> {
    // The server's clock when loading starts: an invalidation after it makes the result unfit to cache.
    const time = await this.cacheGuard.run((c) => c.time());
    this.stats.count(spec.queryClass, 'loads');
    const loaded = await spec.load();
    if (loaded === null) this.stats.count(spec.queryClass, 'negative');
    // Start time unknown (cache down) means freshness cannot be proven: do not store.
    const stored = time !== undefined && (await spec.store(loaded, serverMicros(time as [number, number])));
    const source = spec.loaderSource ?? 'database';
    const ms = performance.now() - started;
    this.stats.record(spec.queryClass, source, ms);
    return {
      value: loaded === null ? null : spec.toValue(loaded),
      source,
      latencyMs: ms,
      cacheKey: stored ? this.key(spec.key) : null,
    };
  }

  private async store(
    logicalKey: string,
    payload: string,
    ttl: number,
    tags: string[],
    loadStartedUs: string,
  ): Promise<boolean> {
    const keys = [
      this.key(logicalKey),
      ...tags.map((t) => this.key(InfraKeys.tagSet(t))),
      ...tags.map((t) => this.key(InfraKeys.tagVersion(t))),
    ];
    const ok = await this.cacheGuard.run(
      (c) =>
        c.eval(
          SET_WITH_TAGS,
          keys.length,
          ...keys,
          payload,
          String(ttl),
          String(tags.length),
          loadStartedUs,
        ) as Promise<number>,
    );
    if (ok === 0) this.logger.debug(`not caching ${logicalKey}: a tag was invalidated while it loaded`);
    return ok === 1;
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
