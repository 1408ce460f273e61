import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import {
  CacheResult,
  CacheService,
  DurableWriteKeys,
  InfraKeys,
  Keys,
  QueryClass,
  SourceTimeoutError,
  Tags,
  TtlClass,
  ttlSeconds,
  withDeadline,
} from '@app/cache';
import {
  PROFILE_FIELDS,
  PROFILE_TOP_ROUTES,
  profileIdList,
  READS,
  ReadHandlers,
  ReadPayload,
  bumpPopularRoute,
  hubSet,
  jsonEntry,
  readPassengerProfile,
  readPopularRoutes,
  readSeatView,
} from '@app/contracts';
import {
  AirportDetails,
  AirportSummary,
  FlightDetails,
  FlightOffer,
  HubRoute,
  ManifestEntry,
  PassengerFlights,
  PassengerProfile,
  PassengerSampleEntry,
  PopularRoute,
  QueryPlan,
  RoundTrip,
  SeatAvailability,
} from '@app/contracts';
import { ProfileRows, ReadsRepository, SeatRows } from './reads.repository';
import { pendingVersion, seatViewFromRows, SeatViewKeys, storeSeatView } from './seat-view';
import { StructureCommand, StructuredCache } from './structured-cache';

/** How many frequent routes a profile shows (the sorted set keeps them all). */
/** ZADD arguments per command, well under Lua's unpack limit. */
const ZADD_CHUNK = 500;
/** Passengers in the cached pool that samples are drawn from (under Lua's unpack limit for one SADD). */
const PASSENGER_POOL_SIZE = 500;

interface CachedReadOptions<T> {
  queryClass: QueryClass;
  key: string;
  ttl: TtlClass;
  /** Tags known before loading. */
  tags: string[];
  /** Tags only the loaded value reveals (the flights of a search, the passenger behind a passport). */
  tagsOf?: (value: T) => string[];
  refresh?: boolean;
  notFound?: string;
}

/**
 * Cache-aside reads, one method per read of READS (its key, TTL class and statistics class come from there). Each
 * read names the tags that the write path invalidates; the cache layer handles hits, misses, stampedes, negative
 * caching and a dead cache. Unknown ids answer 404 (cached too).
 */
@Injectable()
export class ReadsService implements ReadHandlers {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly structures: StructuredCache,
    private readonly repo: ReadsRepository,
  ) {}

  async flight({ flightId, refresh }: ReadPayload<'flight'>): Promise<CacheResult<FlightDetails>> {
    const r = await this.cached(() => this.flightWithPendingChange(flightId), {
      ...jsonEntry(READS.flight, { flightId }),
      tags: [Tags.flight(flightId)],
      tagsOf: (f) => airportTags(f.from.iata, f.to.iata),
      refresh,
      notFound: `Flight ${flightId} not found`,
    });
    return { ...r, value: READS.flight.present(r.value) };
  }

  manifest({ flightId, refresh }: ReadPayload<'manifest'>): Promise<CacheResult<ManifestEntry[]>> {
    return this.cached(() => this.repo.manifest(flightId), {
      ...jsonEntry(READS.manifest, { flightId }),
      tags: [Tags.flight(flightId)],
      tagsOf: (entries) => entries.map((e) => Tags.passenger(e.passengerId)),
      refresh,
      notFound: `Flight ${flightId} not found`,
    });
  }

  /** Counters in a hash and booked seats in a bitmap (bit = seatIndex), built once under the lock on a miss. */
  async seats({ flightId, refresh }: ReadPayload<'seats'>): Promise<CacheResult<SeatAvailability>> {
    const seatKeys: SeatViewKeys = {
      seatMap: this.cache.key(Keys.seatMap(flightId)),
      counters: this.cache.key(Keys.seatCounters(flightId)),
      pending: this.cache.key(DurableWriteKeys.pendingSeats(flightId)),
      tagSet: this.cache.tagKeysOf(Keys.seatMap(flightId), [Tags.seats(flightId)]).sets[0],
      tagVersion: this.cache.tagKeysOf(Keys.seatMap(flightId), [Tags.seats(flightId)]).versions[0],
      fence: this.cache.key(InfraKeys.fence(Keys.seatMap(flightId))),
    };
    const r = await this.structures.getOrBuild<SeatAvailability, SeatRows>({
      queryClass: READS.seats.queryClass,
      keys: READS.seats.cache.structures({ flightId }),
      ttl: ttlSeconds(this.config, READS.seats.ttl),
      negativeTtl: ttlSeconds(this.config, 'negative'),
      tags: [Tags.seats(flightId)],
      refresh,
      read: (c, keys) => readSeatView(c, keys, flightId),
      load: () => this.repo.seats(flightId),
      toValue: (rows) => seatViewFromRows(flightId, rows),
      custom: {
        before: (c) => pendingVersion(c, seatKeys.pending),
        store: (c, rows, ctx) => storeSeatView(c, seatKeys, rows, ctx),
      },
    });
    return found(r, `Flight ${flightId} not found`);
  }

  /**
   * A pool of random passengers with bookings is cached as a set (built once under the lock); every request draws
   * its own `count` from it with SRANDMEMBER, so each sample is random while the database is asked once per TTL.
   */
  async passengerSample({
    count,
    refresh,
  }: ReadPayload<'passengerSample'>): Promise<CacheResult<PassengerSampleEntry[]>> {
    const draw = (pool: PassengerSampleEntry[]) => shuffled(pool).slice(0, count);
    const r = await this.structures.getOrBuild<PassengerSampleEntry[], PassengerSampleEntry[]>({
      queryClass: READS.passengerSample.queryClass,
      keys: READS.passengerSample.cache.structures(),
      ttl: ttlSeconds(this.config, READS.passengerSample.ttl),
      negativeTtl: ttlSeconds(this.config, 'negative'),
      // Untagged: a booking changes one count in the pool, not worth rebuilding it for (the TTL bounds it).
      tags: [],
      refresh,
      read: async (c, [pool]) => {
        const members = await c.srandmember(pool, count);
        return members.length ? { value: members.map((m) => JSON.parse(m) as PassengerSampleEntry) } : null;
      },
      load: () => this.repo.passengerSample(PASSENGER_POOL_SIZE),
      toValue: draw,
      toCommands: (pool) => (pool?.length ? [['SADD', 0, ...pool.map((p) => JSON.stringify(p))]] : []),
    });
    // A caller that shared another one's answer (coalesced) may have asked for fewer.
    return { ...r, value: (r.value ?? []).slice(0, count) };
  }

  async passengerFlights({
    passportNo,
    refresh,
  }: ReadPayload<'passengerFlights'>): Promise<CacheResult<PassengerFlights>> {
    const r = await this.cached(
      async () => {
        const passenger = await this.repo.passengerByPassport(passportNo);
        if (!passenger) return null;
        return { passenger, flights: await this.repo.passengerFlights(passportNo) };
      },
      {
        ...jsonEntry(READS.passengerFlights, { passportNo }),
        tags: [],
        tagsOf: (v) => [
          Tags.passenger(v.passenger.passengerId),
          ...v.flights.map((f) => Tags.flight(f.flightId)),
        ],
        refresh,
        notFound: `No passenger with passport number ${passportNo}`,
      },
    );
    return { ...r, value: READS.passengerFlights.present(r.value) };
  }

  /** Totals in a hash, routes in a sorted set scored by flights taken. */
  async passengerProfile({
    passengerId,
    refresh,
  }: ReadPayload<'passengerProfile'>): Promise<CacheResult<PassengerProfile>> {
    const r = await this.structures.getOrBuild<PassengerProfile, ProfileRows>({
      queryClass: READS.passengerProfile.queryClass,
      keys: READS.passengerProfile.cache.structures({ passengerId }),
      ttl: ttlSeconds(this.config, READS.passengerProfile.ttl),
      negativeTtl: ttlSeconds(this.config, 'negative'),
      tags: [Tags.passengerProfile(passengerId)],
      refresh,
      read: (c, keys) => readPassengerProfile(c, keys),
      load: () => this.repo.passengerProfile(passengerId),
      toValue: (rows) => ({ ...profileTotals(rows), frequentRoutes: topRoutes(rows.routes) }),
      toCommands: (rows) => profileCommands(rows),
      // A booking adds itself in place only to an entry stored before it began (apply-booking-to-profile.lua).
      stampField: PROFILE_FIELDS.storedAt,
    });
    return found(r, `Passenger ${passengerId} not found`);
  }

  airportsByCountry({
    country,
    limit,
    refresh,
  }: ReadPayload<'airportsByCountry'>): Promise<CacheResult<AirportSummary[]>> {
    return this.cached(() => this.repo.airportsByCountry(country, limit), {
      ...jsonEntry(READS.airportsByCountry, { country, limit }),
      tags: [],
      tagsOf: (airports) => airportTags(...airports.map((a) => a.iata)),
      refresh,
    });
  }

  airport({ iata, refresh }: ReadPayload<'airport'>): Promise<CacheResult<AirportDetails>> {
    return this.cached(() => this.repo.airport(iata), {
      ...jsonEntry(READS.airport, { iata }),
      tags: [Tags.airport(iata)],
      refresh,
      notFound: `No airport with IATA code ${iata}`,
    });
  }

  async searchFlights(p: ReadPayload<'searchFlights'>): Promise<CacheResult<FlightOffer[]>> {
    const { date, refresh } = p;
    const [from, to] = await this.knownCodes(p.from, p.to);
    bumpPopularRoute(this.cache, READS.searchFlights.rankedRoute({ ...p, from, to }));
    return this.cached(() => this.repo.flightSearch(from, to, date), {
      ...jsonEntry(READS.searchFlights, { from, to, date }),
      tags: [Tags.route(from, to, date)],
      tagsOf: flightTags,
      refresh,
    });
  }

  async roundTrip(given: ReadPayload<'roundTrip'>): Promise<CacheResult<RoundTrip>> {
    const [from, to] = await this.knownCodes(given.from, given.to);
    const p = { ...given, from, to };
    bumpPopularRoute(this.cache, READS.roundTrip.rankedRoute(p));
    return this.cached(
      async () => {
        const [outbound, back] = await Promise.all([
          this.repo.flightSearch(p.from, p.to, p.depart),
          this.repo.flightSearch(p.to, p.from, p.return),
        ]);
        return { outbound, return: back };
      },
      {
        ...jsonEntry(READS.roundTrip, p),
        tags: [Tags.route(p.from, p.to, p.depart), Tags.route(p.to, p.from, p.return)],
        tagsOf: (rt) => flightTags([...rt.outbound, ...rt.return]),
        refresh: p.refresh,
      },
    );
  }

  /**
   * A route's airports by the codes they are known by (an ICAO code of an airport with an IATA code is mapped).
   * Asked of the database before the cache, so under the loaders' deadline: a hanging database is a 503.
   */
  private knownCodes(from: string, to: string): Promise<[string, string]> {
    const ms = this.config.cache.loaderTimeoutMs;
    return withDeadline(
      Promise.all([this.repo.knownAirportCode(from), this.repo.knownAirportCode(to)]),
      ms,
      () => new SourceTimeoutError(`the airport codes ${from} and ${to} were not looked up within ${ms} ms`),
    );
  }

  /** The most searched routes: a sorted set bumped by every search; it lives only in Valkey. */
  async popularRoutes({ limit }: ReadPayload<'popularRoutes'>): Promise<CacheResult<PopularRoute[]>> {
    const started = performance.now();
    const key = this.cache.key(Keys.popularRoutes());
    const read = await this.cache.guard((c) => readPopularRoutes(c, [key], limit));
    // Without the cache there is no ranking to show: an empty list, flagged, rather than an error.
    return {
      value: read?.value ?? [],
      source: 'cache',
      latencyMs: performance.now() - started,
      cacheKey: key,
      ...(read === undefined ? { stale: true } : {}),
    };
  }

  hubRoutes({ airports, limit, refresh }: ReadPayload<'hubRoutes'>): Promise<CacheResult<HubRoute[]>> {
    const hubs = hubSet(airports);
    return this.cached(() => this.repo.hubRoutes(hubs, limit), {
      ...jsonEntry(READS.hubRoutes, { airports: hubs, limit }),
      tags: airportTags(...hubs),
      refresh,
    });
  }

  explain({ name, refresh }: ReadPayload<'explain'>): Promise<CacheResult<QueryPlan>> {
    return this.cached(() => this.repo.explain(name), {
      queryClass: READS.explain.queryClass,
      key: READS.explain.cache.jsonPerEngine({ name }, this.config.db.engine),
      ttl: READS.explain.ttl,
      tags: [],
      refresh,
    });
  }

  // -------------------------------------------------------------------------------------------------------------

  /**
   * The flight as the database has it, with its latest write-behind change laid over it while the flusher has not
   * written that change yet (read-your-writes for PATCH /api/flights/:id in mode write-behind).
   */
  private async flightWithPendingChange(flightId: number) {
    const [flight, pending] = await Promise.all([
      this.repo.flight(flightId),
      this.cache.guard((c) => c.hgetall(this.cache.key(DurableWriteKeys.flightChangePending(flightId)))),
    ]);
    if (!flight || !pending?.departure) return flight;
    return {
      ...flight,
      departure: pending.departure,
      arrival: pending.arrival,
      durationMinutes: Number(pending.durationMinutes),
    };
  }

  private async cached<T>(loader: () => Promise<T | null>, o: CachedReadOptions<T>): Promise<CacheResult<T>> {
    const r = await this.cache.getOrLoad(o.key, loader, {
      queryClass: o.queryClass,
      ttl: ttlSeconds(this.config, o.ttl),
      tags: o.tags,
      tagsOf: o.tagsOf,
      refresh: o.refresh,
    });
    return found(r, o.notFound ?? 'Not found');
  }
}

// --- helpers -------------------------------------------------------------------------------------------------------

function found<T>(r: CacheResult<T | null>, message: string): CacheResult<T> {
  if (r.value === null) throw new NotFoundException(message);
  return r as CacheResult<T>;
}

/** A copy in random order (Fisher-Yates). */
function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function airportTags(...iatas: (string | null)[]): string[] {
  return iatas.filter((i): i is string => !!i).map((i) => Tags.airport(i));
}

function flightTags(offers: FlightOffer[]): string[] {
  return offers.map((f) => Tags.flight(f.flightId));
}

// --- passenger profile: hash of totals + sorted set of routes ------------------------------------------------------

function profileTotals(rows: ProfileRows): Omit<PassengerProfile, 'frequentRoutes'> {
  const { passenger, totalFlights, totalSpent, airlinesUsed, airportsVisited } = rows;
  return { passenger, totalFlights, totalSpent, airlinesUsed, airportsVisited };
}

/** Same order as ZREVRANGE: score descending, then member descending. */
function topRoutes(routes: ProfileRows['routes']) {
  return [...routes]
    .sort((a, b) => b.flights - a.flights || (a.route < b.route ? 1 : a.route > b.route ? -1 : 0))
    .slice(0, PROFILE_TOP_ROUTES);
}

function profileCommands(rows: ProfileRows | null): StructureCommand[] {
  if (rows === null) return [['HSET', 0, 'found', '0']];
  const t = profileTotals(rows);
  const commands: StructureCommand[] = [
    [
      'HSET',
      0,
      'passengerId',
      String(t.passenger.passengerId),
      'passportNo',
      t.passenger.passportNo,
      'firstname',
      t.passenger.firstname,
      'lastname',
      t.passenger.lastname,
      'totalFlights',
      String(t.totalFlights),
      'totalSpent',
      String(t.totalSpent),
      'airlinesUsed',
      String(t.airlinesUsed),
      'airportsVisited',
      String(t.airportsVisited),
      PROFILE_FIELDS.airlineIds,
      profileIdList(rows.airlineIds),
      PROFILE_FIELDS.airportIds,
      profileIdList(rows.airportIds),
    ],
  ];
  for (let i = 0; i < rows.routes.length; i += ZADD_CHUNK) {
    const args = rows.routes.slice(i, i + ZADD_CHUNK).flatMap((r) => [String(r.flights), r.route]);
    commands.push(['ZADD', 1, ...args]);
  }
  return commands;
}
