import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import {
  APP_CONFIG,
  AppConfig,
  CacheResult,
  CacheService,
  CacheStatsService,
  CacheUnavailableError,
  DistributedLock,
  FillNotifier,
  InfraKeys,
  QueryClass,
  ValkeyClient,
} from '@app/common';

/** One write into a structure: [command, index into `keys`, ...arguments]. Run inside one Lua script. */
export type StructureCommand = [string, number, ...string[]];

export interface StructureSpec<T, L> {
  queryClass: QueryClass;
  /** Logical keys of the structure (e.g. a hash and a bitmap); the first one names the lock and wake-ups. */
  keys: string[];
  ttl: number;
  negativeTtl: number;
  tags: string[];
  refresh?: boolean;
  /** Reads the structure (prefixed keys given); null on a miss, { value: null } for a cached "not found". */
  read: (client: ValkeyClient, keys: string[]) => Promise<{ value: T | null } | null>;
  load: () => Promise<L | null>;
  /** The answer built from what was loaded. */
  toValue: (loaded: L) => T;
  /** The writes that store what was loaded (for null: a marker the read recognises as "not found"). */
  toCommands?: (loaded: L | null) => StructureCommand[];
  /**
   * For structures other processes also change (the seat map): read a guard value before loading and store with a
   * script of the structure's own that checks it. Returns true when stored.
   */
  custom?: {
    before: (client: ValkeyClient) => Promise<string>;
    store: (client: ValkeyClient, loaded: L | null, seen: StoreContext) => Promise<boolean>;
  };
}

export interface StoreContext {
  /** The guard value read by `custom.before`. */
  guard: string;
  /** Tag versions read before loading, in `tags` order ('' = none yet). */
  tagVersions: string[];
  ttl: number;
}

/**
 * Replace the structure and register it under its tags, unless a tag was invalidated while it loaded (same rule as
 * CacheService's SET_WITH_TAGS, for entries that are not one string).
 * KEYS = entries (e), tag sets (n), tag versions (n); ARGV = e, n, ttl, versions seen (n), commands as JSON.
 */
const STORE_STRUCTURE = `
local e = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 1, n do
  local now = redis.call('GET', KEYS[e + n + i]) or ''
  if now ~= ARGV[3 + i] then return 0 end
end
for i = 1, e do redis.call('DEL', KEYS[i]) end
for _, c in ipairs(cjson.decode(ARGV[4 + n])) do
  redis.call(c[1], KEYS[c[2] + 1], unpack(c, 3))
end
for i = 1, e do redis.call('EXPIRE', KEYS[i], ttl) end
for i = 1, n do
  for k = 1, e do redis.call('SADD', KEYS[e + i], KEYS[k]) end
  if redis.call('TTL', KEYS[e + i]) < ttl then redis.call('EXPIRE', KEYS[e + i], ttl) end
end
return 1`;

/**
 * Cache-aside for entries kept as Valkey data structures (seat counters + bitmap, profile hash + sorted set)
 * rather than one JSON string. Same guarantees as CacheService.getOrLoad: one build per key across processes
 * (the owner-token lock, waiters woken by pub/sub, bounded wait), in-process sharing of a build, negative
 * caching, tag versions, and the database answering when the cache is down.
 */
@Injectable()
export class StructuredCache {
  private readonly inflight = new Map<string, Promise<CacheResult<unknown>>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly lock: DistributedLock,
    private readonly fill: FillNotifier,
    private readonly stats: CacheStatsService,
  ) {}

  async getOrBuild<T, L>(spec: StructureSpec<T, L>): Promise<CacheResult<T | null>> {
    const started = performance.now();
    if (!spec.refresh) {
      const hit = await this.read(spec);
      if (hit) return this.hit(spec, hit.value, started);
    }
    const flightKey = `${spec.refresh ? 'r' : 'm'}|${spec.keys[0]}`;
    const shared = this.inflight.get(flightKey) as Promise<CacheResult<T | null>> | undefined;
    if (shared) {
      this.stats.count(spec.queryClass, 'coalesced');
      return shared;
    }
    const promise = this.buildThroughLock(spec, started).finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, promise);
    return promise;
  }

  private async buildThroughLock<T, L>(
    spec: StructureSpec<T, L>,
    started: number,
  ): Promise<CacheResult<T | null>> {
    const { lockTtlMs, lockWaitMs } = this.config.cache;
    const lockKey = spec.keys[0];
    const deadline = Date.now() + lockWaitMs;
    let refresh = spec.refresh;
    while (this.cache.isAvailable && Date.now() < deadline) {
      let token: string | null;
      try {
        token = await this.lock.acquire(lockKey, lockTtlMs);
      } catch (e) {
        if (e instanceof CacheUnavailableError) break;
        throw e;
      }
      if (token) {
        try {
          if (!refresh) {
            const hit = await this.read(spec);
            if (hit) return this.hit(spec, hit.value, started);
          }
          return await this.build(spec, started);
        } finally {
          await this.lock.release(lockKey, token);
          await this.fill.notify(lockKey);
        }
      }
      this.stats.count(spec.queryClass, 'waits');
      const waiting = this.fill.waitFor(lockKey, Math.max(1, deadline - Date.now()));
      const early = refresh ? null : await this.read(spec);
      if (early) return this.hit(spec, early.value, started);
      await waiting;
      const hit = await this.read(spec);
      if (hit) return this.hit(spec, hit.value, started);
      refresh = false;
    }
    if (!this.cache.isAvailable) this.stats.count(spec.queryClass, 'bypassed');
    return this.build(spec, started);
  }

  private read<T, L>(spec: StructureSpec<T, L>): Promise<{ value: T | null } | null> {
    const keys = spec.keys.map((k) => this.cache.key(k));
    return this.cache.guard((c) => spec.read(c, keys)).then((r) => r ?? null);
  }

  private hit<T, L>(spec: StructureSpec<T, L>, value: T | null, started: number): CacheResult<T | null> {
    const ms = performance.now() - started;
    this.stats.record(spec.queryClass, 'cache', ms);
    return { value, source: 'cache', latencyMs: ms, cacheKey: this.cache.key(spec.keys[0]) };
  }

  private async build<T, L>(spec: StructureSpec<T, L>, started: number): Promise<CacheResult<T | null>> {
    const versionKeys = spec.tags.map((t) => this.cache.key(InfraKeys.tagVersion(t)));
    const versions = versionKeys.length ? await this.cache.guard((c) => c.mget(...versionKeys)) : [];
    const guard = spec.custom ? await this.cache.guard(spec.custom.before) : '';
    this.stats.count(spec.queryClass, 'loads');
    const loaded = await spec.load();
    if (loaded === null) this.stats.count(spec.queryClass, 'negative');
    const ttl = loaded === null ? spec.negativeTtl : spec.ttl;
    const seen = (versions ?? []).map((v) => v ?? '');
    const stored =
      versions !== undefined &&
      guard !== undefined &&
      (spec.custom
        ? (await this.cache.guard((c) =>
            spec.custom!.store(c, loaded, { guard, tagVersions: seen, ttl }),
          )) === true
        : await this.storeCommands(spec, loaded, ttl, seen));
    const ms = performance.now() - started;
    this.stats.record(spec.queryClass, 'database', ms);
    return {
      value: loaded === null ? null : spec.toValue(loaded),
      source: 'database',
      latencyMs: ms,
      cacheKey: stored ? this.cache.key(spec.keys[0]) : null,
    };
  }

  private async storeCommands<T, L>(
    spec: StructureSpec<T, L>,
    loaded: L | null,
    ttl: number,
    seen: string[],
  ) {
    const tagKeys = spec.tags.map((t) => this.cache.key(InfraKeys.tagSet(t)));
    const versionKeys = spec.tags.map((t) => this.cache.key(InfraKeys.tagVersion(t)));
    const commands = JSON.stringify(spec.toCommands?.(loaded) ?? []);
    return (
      (await this.cache.guard(
        (c) =>
          c.eval(
            STORE_STRUCTURE,
            spec.keys.length + 2 * spec.tags.length,
            ...spec.keys.map((k) => this.cache.key(k)),
            ...tagKeys,
            ...versionKeys,
            String(spec.keys.length),
            String(spec.tags.length),
            String(ttl),
            ...seen,
            commands,
          ) as Promise<number>,
      )) === 1
    );
  }
}
