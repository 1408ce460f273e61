import { Injectable } from '@nestjs/common';
import { CacheResult, CacheService, InfraKeys, QueryClass, ValkeyClient } from '@app/cache';

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
  /** Valkey server time (µs) the load started: a tag invalidated at or after it makes the load unfit to store. */
  loadStartedUs: string;
  ttl: number;
}

/**
 * Replace the structure and register it under its tags, unless a tag was invalidated while it loaded (same rule as
 * CacheService's SET_WITH_TAGS, for entries that are not one string).
 * KEYS = entries (e), tag sets (n), tag versions (n); ARGV = e, n, ttl, load start (server µs), commands as JSON.
 */
const STORE_STRUCTURE = `
local e = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 1, n do
  local invalidated = redis.call('GET', KEYS[e + n + i])
  if invalidated and tonumber(invalidated) >= tonumber(ARGV[4]) then return 0 end
end
for i = 1, e do redis.call('DEL', KEYS[i]) end
for _, c in ipairs(cjson.decode(ARGV[5])) do
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
  constructor(private readonly cache: CacheService) {}

  /** CacheService.getOrBuild (one build per key across processes, tag versions...) with a structure's read/store. */
  getOrBuild<T, L>(spec: StructureSpec<T, L>): Promise<CacheResult<T | null>> {
    const keys = () => spec.keys.map((k) => this.cache.key(k));
    // Read before loading by structures other processes also change (the seat map's guard value).
    let guardSeen: string | undefined = '';
    return this.cache.getOrBuild<T, L>({
      key: spec.keys[0],
      queryClass: spec.queryClass,
      refresh: spec.refresh,
      tags: spec.tags,
      read: async () => (await this.cache.guard((c) => spec.read(c, keys()))) ?? null,
      load: async () => {
        if (spec.custom) guardSeen = await this.cache.guard(spec.custom.before);
        return spec.load();
      },
      toValue: spec.toValue,
      store: async (loaded, loadStartedUs) => {
        const ttl = loaded === null ? spec.negativeTtl : spec.ttl;
        if (spec.custom) {
          if (guardSeen === undefined) return false;
          const guard = guardSeen;
          return (
            (await this.cache.guard((c) => spec.custom!.store(c, loaded, { guard, loadStartedUs, ttl }))) ===
            true
          );
        }
        return this.storeCommands(spec, loaded, ttl, loadStartedUs);
      },
    });
  }

  private async storeCommands<T, L>(
    spec: StructureSpec<T, L>,
    loaded: L | null,
    ttl: number,
    loadStartedUs: string,
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
            loadStartedUs,
            commands,
          ) as Promise<number>,
      )) === 1
    );
  }
}
