import { Injectable } from '@nestjs/common';
import { CacheResult, CacheService, InfraKeys, QueryClass, ValkeyClient, runScript } from '@app/cache';

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
  /** A field of the first key (a hash) the store stamps with the server time (see store-structure.lua). */
  stampField?: string;
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
      read: async (kind) => (await this.cache.guard((c) => spec.read(c, keys()), kind)) ?? null,
      load: async () => {
        if (spec.custom) guardSeen = await this.cache.guard(spec.custom.before, 'script');
        return spec.load();
      },
      toValue: spec.toValue,
      store: async (loaded, loadStartedUs) => {
        const ttl = loaded === null ? spec.negativeTtl : spec.ttl;
        if (spec.custom) {
          if (guardSeen === undefined) return false;
          const guard = guardSeen;
          return (
            (await this.cache.guard(
              (c) => spec.custom!.store(c, loaded, { guard, loadStartedUs, ttl }),
              'script',
            )) === true
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
    // The structure's keys share an entity (see KeySpace), so their tags are those of the first one's shard.
    const tagKeys = this.cache.tagKeysOf(spec.keys[0], spec.tags);
    const keys = [
      ...spec.keys.map((k) => this.cache.key(k)),
      ...spec.keys.map((k) => this.cache.key(InfraKeys.fence(k))),
      ...tagKeys.sets,
      ...tagKeys.versions,
    ];
    const args = [
      spec.keys.length,
      spec.tags.length,
      ttl,
      loadStartedUs,
      JSON.stringify(spec.toCommands?.(loaded) ?? []),
      spec.stampField ?? '',
    ];
    return (
      (await this.cache.guard((c) => runScript<number>(c, 'store-structure', keys, args), 'script')) === 1
    );
  }
}
