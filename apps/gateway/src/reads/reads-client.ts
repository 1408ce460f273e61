import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { performance } from 'node:perf_hooks';
import { CacheService, CacheStatsService } from '@app/cache';
import {
  Envelope,
  EnvelopeClient,
  READS,
  ReadName,
  ReadOperation,
  ReadPayload,
  ReadResult,
  ReadSignatures,
  SERVICES,
  bumpPopularRoute,
  toEnvelope,
} from '@app/contracts';

/** READS as the hit path reads them: for any read name, its definition with that read's payload and result. */
const DEFINITIONS: { [N in ReadName]: ReadOperation<ReadPayload<N>, ReadResult<N>> } = READS;

/**
 * The reads of the gateway's routes: `reads.call('passengerFlights', { passportNo })`. A hit on an entry cached as
 * one JSON string is answered right here from Valkey: the hop to the query-service and back (two more JSON
 * encodings and a second process) would cost more than the hit itself. Everything else — misses,
 * `?refresh=true`, cached "not found", the seat map and profile structures — goes to the query-service, which
 * loads from the database and fills the cache under the stampede lock. Both sides take the key from the read's
 * definition, so they cannot disagree on it.
 */
@Injectable()
export class ReadsClient extends EnvelopeClient<ReadSignatures> {
  constructor(
    @Inject(SERVICES.query) proxy: ClientProxy,
    private readonly cache: CacheService,
    private readonly stats: CacheStatsService,
  ) {
    super(proxy, 'query-service', READS);
  }

  override async call<N extends ReadName>(
    name: N,
    payload: ReadPayload<N>,
  ): Promise<Envelope<ReadResult<N>>> {
    return (await this.cachedHit(name, payload)) ?? super.call(name, payload);
  }

  private async cachedHit<N extends ReadName>(
    name: N,
    payload: ReadPayload<N>,
  ): Promise<Envelope<ReadResult<N>> | null> {
    const read = DEFINITIONS[name];
    if (!('json' in read.cache) || ('refresh' in payload && payload.refresh)) return null;
    const started = performance.now();
    const logicalKey = read.cache.json(payload);
    const hit = await this.cache.cachedJson<never>(logicalKey);
    if (!hit) return null;
    bumpPopularRoute(this.cache, read.rankedRoute?.(payload) ?? null);
    const value: ReadResult<N> = read.present ? read.present(hit.value) : hit.value;
    const latencyMs = performance.now() - started;
    if (read.queryClass) {
      this.stats.record(read.queryClass, 'cache', latencyMs);
      if (hit.near) this.stats.count(read.queryClass, 'nearHits');
    }
    const key = this.cache.key(logicalKey);
    return toEnvelope({ value, source: 'cache', latencyMs, cacheKey: key });
  }
}
