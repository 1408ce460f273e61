/** Where a value came from: the cache, the database (a miss), or an external API (weather). */
export type CacheSource = 'cache' | 'database' | 'upstream';

/** What every cached read returns; the gateway turns it into the contract's envelope. */
export interface CacheResult<T> {
  value: T;
  source: CacheSource;
  /** Measured inside the service: cache GET time on a hit; load time plus cache SET on a miss. */
  latencyMs: number;
  /** Prefixed key as stored in Valkey (null when nothing was cached). */
  cacheKey: string | null;
  /** True when the value was served past its freshness because the source failed (weather). */
  stale?: boolean;
}

export interface GetOrLoadOptions<T = unknown> {
  /** Statistics bucket (see QUERY_CLASSES). */
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
}

/** The envelope of the gateway contract. */
export interface Envelope<T> {
  data: T;
  meta: {
    source: CacheSource;
    latencyMs: number;
    cacheKey: string | null;
    stale?: boolean;
    [k: string]: unknown;
  };
}

export function toEnvelope<T>(r: CacheResult<T>, extraMeta: Record<string, unknown> = {}): Envelope<T> {
  return {
    data: r.value,
    meta: {
      source: r.source,
      latencyMs: Math.round(r.latencyMs * 1000) / 1000,
      cacheKey: r.cacheKey,
      ...(r.stale ? { stale: true } : {}),
      ...extraMeta,
    },
  };
}
