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
  RequestContext,
  bumpPopularRoute,
  requestContext,
  toEnvelope,
} from '@app/contracts';

interface RequestRead {
  name: ReadName;
  payload: object;
  envelope: unknown;
}

/** A hit as its answer shows it. */
interface Found<N extends ReadName> {
  value: () => ReadResult<N>;
  /** The stored JSON of `data`, when it is shown as stored. */
  raw?: string;
  source: 'cache';
  latencyMs: number;
  cacheKey: string;
}

/**
 * A hit's envelope as JSON text, for an answer sent as is. An entry stored as one JSON string and shown unchanged
 * (no `present`) is not serialized again: its stored text is the envelope's `data`, byte for byte what
 * JSON.stringify of its parsed value gives (the query-service stored that).
 */
function textOf<N extends ReadName>(found: Found<N>): string {
  const envelope = toEnvelope({ ...found, value: found.raw === undefined ? found.value() : null });
  return found.raw === undefined
    ? JSON.stringify(envelope)
    : `{"data":${found.raw},"meta":${JSON.stringify(envelope.meta)}}`;
}

/** READS as the hit path reads them: for any read name, its definition with that read's payload and result. */
const DEFINITIONS: { [N in ReadName]: ReadOperation<ReadPayload<N>, ReadResult<N>> } = READS;

/**
 * The reads of the gateway's routes: `reads.call('passengerFlights', { passportNo })`. Every hit — an entry
 * cached as one JSON string, or kept as structures (seat map, profile, popular routes) — is answered right here,
 * from this process's near cache or one round trip to Valkey: the hop to the query-service and back would cost
 * more than the hit itself. Misses, `?refresh=true` and cached "not found" go to the query-service, which loads
 * from the database and fills the cache under the stampede lock. Both sides take the keys and the structure
 * readers from the read's definition, so they cannot disagree on them.
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

  /** The reads each HTTP request made (by its request context): what HitRoutes may remember its URL by. */
  private readonly readsOfRequest = new WeakMap<RequestContext, RequestRead[]>();

  override async call<N extends ReadName>(
    name: N,
    payload: ReadPayload<N>,
  ): Promise<Envelope<ReadResult<N>>> {
    const envelope = (await this.hit(name, payload)) ?? (await super.call(name, payload));
    const scope = requestContext.getStore();
    if (scope) {
      const made = this.readsOfRequest.get(scope) ?? [];
      made.push({ name, payload, envelope });
      this.readsOfRequest.set(scope, made);
    }
    return envelope;
  }

  /** The request's read when it made exactly one. */
  onlyReadOf(scope: RequestContext): RequestRead | undefined {
    const made = this.readsOfRequest.get(scope);
    return made?.length === 1 ? made[0] : undefined;
  }

  /** The read's envelope when it is cached (and not asked to refresh); null otherwise. */
  async hit<N extends ReadName>(name: N, payload: ReadPayload<N>): Promise<Envelope<ReadResult<N>> | null> {
    const found = await this.lookup(name, payload);
    return found && toEnvelope({ ...found, value: found.value() });
  }

  /** The same envelope as JSON text, for an answer sent as is (see textOf). */
  async hitText<N extends ReadName>(name: N, payload: ReadPayload<N>): Promise<string | null> {
    const found = await this.lookup(name, payload);
    return found && textOf(found);
  }

  /**
   * The same text when this process's near cache holds the entry (a JSON entry, not refreshed), at once: no
   * promise, no round trip. undefined otherwise (then `hitText`).
   */
  hitTextInMemory<N extends ReadName>(name: N, payload: ReadPayload<N>): string | undefined {
    const read = DEFINITIONS[name];
    if (!('json' in read.cache) || ('refresh' in payload && payload.refresh)) return undefined;
    const started = performance.now();
    const logicalKey = read.cache.json(payload);
    const hit = this.cache.cachedJsonInMemory<never>(logicalKey);
    return (
      hit && textOf(this.found(read, payload, { ...hit, near: true }, started, this.cache.key(logicalKey)))
    );
  }

  private async lookup<N extends ReadName>(name: N, payload: ReadPayload<N>): Promise<Found<N> | null> {
    const read = DEFINITIONS[name];
    if ('refresh' in payload && payload.refresh) return null;
    const started = performance.now();
    let hit: { value: unknown; near: boolean; raw?: string } | null;
    let cacheKey: string;
    if ('json' in read.cache) {
      const logicalKey = read.cache.json(payload);
      hit = await this.cache.cachedJson<never>(logicalKey);
      cacheKey = this.cache.key(logicalKey);
    } else if ('structures' in read.cache && read.readStructure) {
      // A structure (a seat map, a profile, the popular routes): read back the way the query-service does.
      const keys = read.cache.structures(payload);
      const readStructure = read.readStructure;
      hit = await this.cache.cachedStructure(keys, (c, prefixed) => readStructure(c, prefixed, payload));
      cacheKey = this.cache.key(keys[0]);
    } else {
      return null;
    }
    return hit && this.found(read, payload, hit, started, cacheKey);
  }

  /** A hit as the answer shows it: counted (statistics, popular routes) like any answer from the cache. */
  private found<N extends ReadName>(
    read: ReadOperation<ReadPayload<N>, ReadResult<N>>,
    payload: ReadPayload<N>,
    hit: { value: unknown; near: boolean; raw?: string },
    started: number,
    cacheKey: string,
  ): Found<N> {
    bumpPopularRoute(this.cache, read.rankedRoute?.(payload) ?? null);
    const stored = hit.value;
    const present = read.present;
    const latencyMs = performance.now() - started;
    if (read.queryClass) {
      this.stats.record(read.queryClass, 'cache', latencyMs);
      if (hit.near) this.stats.count(read.queryClass, 'nearHits');
    }
    return {
      value: () => (present ? present(stored as never) : (stored as ReadResult<N>)),
      // Shown as stored only when nothing is added at answer time (a flight's status is).
      raw: present ? undefined : hit.raw,
      source: 'cache',
      latencyMs,
      cacheKey,
    };
  }
}
