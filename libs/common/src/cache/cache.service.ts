import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config';
import { CacheGuard } from './cache-guard';
import { CacheResult, GetOrLoadOptions } from './cache.types';
import { FillNotifier } from './fill-notifier';
import { InfraKeys, NON_CACHE_KEY_PREFIXES, TAG_VERSION_TTL_SECONDS } from './keys';
import { CacheUnavailableError, DistributedLock } from './lock';
import { INVALIDATE_TAGS, SET_WITH_TAGS } from './lua';
import { CacheStatsService } from './stats.service';
import { ValkeyClient } from './valkey-client';

/** Stored for "not found": JSON never starts with a NUL, so it cannot collide with a real value. */
const NOT_FOUND = '\u0000nf';

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
    opts: GetOrLoadOptions,
  ): Promise<CacheResult<T | null>> {
    const started = performance.now();
    if (!opts.refresh) {
      const hit = await this.read<T>(logicalKey);
      if (hit) {
        const ms = performance.now() - started;
        this.stats.record(opts.queryClass, 'cache', ms);
        return { value: hit.value, source: 'cache', latencyMs: ms, cacheKey: this.key(logicalKey) };
      }
    }
    // Concurrent misses in this process share one load (and one trip through the lock).
    const flightKey = `${opts.refresh ? 'r' : 'm'}|${logicalKey}`;
    const shared = this.inflight.get(flightKey) as Promise<CacheResult<T | null>> | undefined;
    if (shared) {
      this.stats.count(opts.queryClass, 'coalesced');
      return shared;
    }
    const promise = this.loadThroughLock(logicalKey, loader, opts, started).finally(() =>
      this.inflight.delete(flightKey),
    );
    this.inflight.set(flightKey, promise);
    return promise;
  }

  /** Stores a value under its tags (write-through and warming). */
  async set(logicalKey: string, value: unknown, opts: SetOptions): Promise<boolean> {
    return this.store(logicalKey, JSON.stringify(value), opts.ttl, opts.tags ?? [], null);
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
    const keys = [...tags.map((t) => this.key(InfraKeys.tagSet(t))), ...tags.map((t) => this.key(InfraKeys.tagVersion(t)))];
    const n = await this.cacheGuard.run(
      (c) => c.eval(INVALIDATE_TAGS, keys.length, ...keys, String(tags.length), String(TAG_VERSION_TTL_SECONDS)) as Promise<number>,
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
        const [next, batch] = await c.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
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

  private async loadThroughLock<T>(
    logicalKey: string,
    loader: () => Promise<T | null>,
    opts: GetOrLoadOptions,
    started: number,
  ): Promise<CacheResult<T | null>> {
    const { lockTtlMs, lockWaitMs } = this.config.cache;
    const deadline = Date.now() + lockWaitMs;
    while (this.cacheGuard.isAvailable && Date.now() < deadline) {
      let token: string | null;
      try {
        token = await this.lock.acquire(logicalKey, lockTtlMs);
      } catch (e) {
        if (e instanceof CacheUnavailableError) break;
        throw e;
      }
      if (token) {
        try {
          // Someone may have filled the key between our miss and our lock.
          if (!opts.refresh) {
            const hit = await this.read<T>(logicalKey);
            if (hit) return this.hitAfterWait(logicalKey, hit.value, opts, started);
          }
          return await this.loadAndStore(logicalKey, loader, opts, started);
        } finally {
          await this.lock.release(logicalKey, token);
          // Wake the waiters whether we stored a value or failed: they re-check and one of them takes over.
          await this.fill.notify(logicalKey);
        }
      }
      // Another process is loading: wait for its notification, then read what it stored.
      this.stats.count(opts.queryClass, 'waits');
      const waiting = this.fill.waitFor(logicalKey, Math.max(1, deadline - Date.now()));
      // The value may have landed before we subscribed to the wake-up: look once more.
      const early = await this.read<T>(logicalKey);
      if (early && !opts.refresh) return this.hitAfterWait(logicalKey, early.value, opts, started);
      await waiting;
      const hit = await this.read<T>(logicalKey);
      if (hit) return this.hitAfterWait(logicalKey, hit.value, opts, started);
      opts = { ...opts, refresh: false };
    }
    // Cache unavailable, or the owner did not deliver in time: load by ourselves (bounded wait, never forever).
    if (!this.cacheGuard.isAvailable) this.stats.count(opts.queryClass, 'bypassed');
    return this.loadAndStore(logicalKey, loader, opts, started);
  }

  private hitAfterWait<T>(logicalKey: string, value: T | null, opts: GetOrLoadOptions, started: number): CacheResult<T | null> {
    const ms = performance.now() - started;
    this.stats.record(opts.queryClass, 'cache', ms);
    return { value, source: 'cache', latencyMs: ms, cacheKey: this.key(logicalKey) };
  }

  private async loadAndStore<T>(
    logicalKey: string,
    loader: () => Promise<T | null>,
    opts: GetOrLoadOptions,
    started: number,
  ): Promise<CacheResult<T | null>> {
    const tags = opts.tags ?? [];
    // Versions before loading: an invalidation during the load makes the result unfit to cache.
    const versions = tags.length
      ? await this.cacheGuard.run((c) => c.mget(...tags.map((t) => this.key(InfraKeys.tagVersion(t)))))
      : [];
    this.stats.count(opts.queryClass, 'loads');
    const value = await loader();
    const source = opts.loaderSource ?? 'database';
    let cached = false;
    if (value === null) {
      this.stats.count(opts.queryClass, 'negative');
      cached = await this.store(logicalKey, NOT_FOUND, opts.negativeTtl ?? this.config.cache.ttl.negative, tags, versions ?? null);
    } else {
      cached = await this.store(logicalKey, JSON.stringify(value), opts.ttl, tags, versions ?? null);
    }
    const ms = performance.now() - started;
    this.stats.record(opts.queryClass, source, ms);
    return { value, source, latencyMs: ms, cacheKey: cached ? this.key(logicalKey) : null };
  }

  private async store(
    logicalKey: string,
    payload: string,
    ttl: number,
    tags: string[],
    versions: (string | null)[] | null,
  ): Promise<boolean> {
    const keys = [
      this.key(logicalKey),
      ...tags.map((t) => this.key(InfraKeys.tagSet(t))),
      ...tags.map((t) => this.key(InfraKeys.tagVersion(t))),
    ];
    const seen = tags.map((_, i) => (versions === null ? '*' : (versions[i] ?? '')));
    const ok = await this.cacheGuard.run(
      (c) => c.eval(SET_WITH_TAGS, keys.length, ...keys, payload, String(ttl), String(tags.length), ...seen) as Promise<number>,
    );
    if (ok === 0) this.logger.debug(`not caching ${logicalKey}: a tag was invalidated while it loaded`);
    return ok === 1;
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
