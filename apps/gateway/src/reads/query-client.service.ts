import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { performance } from 'node:perf_hooks';
import {
  CacheResult,
  CacheService,
  CacheStatsService,
  Envelope,
  isNotFoundEntry,
  toEnvelope,
} from '@app/cache';
import {
  JSON_READS,
  READ_PATTERNS,
  ReadPatternName,
  SERVICES,
  bumpPopularRoute,
  callService,
  isJsonRead,
  presentRead,
  searchedRoute,
} from '@app/contracts';

/**
 * Reads for the gateway's routes. A hit on an entry cached as one JSON string is answered right here from Valkey:
 * the hop to the query-service and back (two more JSON encodings and a second process) would cost more than the
 * hit itself. Everything else — misses, `?refresh=true`, cached "not found", the seat map and profile structures —
 * goes to the query-service, which loads from the database and fills the cache under the stampede lock.
 * Both sides take the key from JSON_READS, so they cannot disagree on it.
 */
@Injectable()
export class QueryClient {
  constructor(
    @Inject(SERVICES.query) private readonly client: ClientProxy,
    private readonly cache: CacheService,
    private readonly stats: CacheStatsService,
  ) {}

  async read<T>(pattern: ReadPatternName, payload: object): Promise<Envelope<T>> {
    const hit = await this.cachedHit<T>(pattern, payload);
    if (hit) return hit;
    const result = await callService<CacheResult<T>>(
      this.client,
      'query-service',
      READ_PATTERNS[pattern],
      payload,
    );
    return toEnvelope(result);
  }

  private async cachedHit<T>(pattern: ReadPatternName, payload: object): Promise<Envelope<T> | null> {
    if ((payload as { refresh?: boolean }).refresh || !isJsonRead(pattern)) return null;
    const started = performance.now();
    const entry = JSON_READS[pattern](payload as never);
    const key = this.cache.key(entry.key);
    const raw = await this.cache.guard((c) => c.get(key));
    if (raw === undefined || raw === null || isNotFoundEntry(raw)) return null;
    const route = searchedRoute(pattern, payload);
    if (route) bumpPopularRoute(this.cache, route[0], route[1]);
    const value = presentRead(pattern, JSON.parse(raw)) as T;
    const latencyMs = performance.now() - started;
    this.stats.record(entry.queryClass, 'cache', latencyMs);
    return toEnvelope({ value, source: 'cache', latencyMs, cacheKey: key });
  }
}
