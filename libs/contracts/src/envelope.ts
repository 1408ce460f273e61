import type { CacheResult, CacheSource } from '@app/cache';

/** The envelope of the gateway's HTTP contract: `{data, meta: {source, latencyMs, cacheKey}}`. */
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

/** A service's answer as the gateway presents it; latency rounded to the microsecond. */
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
