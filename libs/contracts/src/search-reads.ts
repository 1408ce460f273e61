/**
 * Searches and route figures (GET /api/search/..., /api/routes/...): request, result and definition of each, and
 * the popular-routes ranking that every user's search bumps.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, Matches } from 'class-validator';
import { CacheService, Keys } from '@app/cache';
import { typed } from './operation';
import { read } from './read-operation';
import { RefreshQuery } from './refresh-query';
import { AIRPORT_CODE } from './leaderboards';
import { Compare, IATA_CODE, IsDay, OptionalCount } from './request-fields';
import { readPopularRoutes } from './structure-reads';

/**
 * A route's airport: IATA, or ICAO for the airports that have no IATA code (about a third of them). The
 * query-service looks a route up by the code the airport is known by (IATA, else ICAO), as the writer tags it.
 */
const IsAirportCode = (example: string, icao: string) =>
  Matches(AIRPORT_CODE, {
    message: `$property must be an airport code: IATA (3 uppercase letters, such as ${example}) or ICAO (4 uppercase letters or digits, such as ${icao})`,
  });

export class SearchQuery extends RefreshQuery {
  @ApiProperty({ example: 'JFK', description: 'Departure airport (IATA, or ICAO)' })
  @IsAirportCode('JFK', 'KJFK')
  from: string;

  @ApiProperty({ example: 'LAX', description: 'Arrival airport (IATA, or ICAO)' })
  @IsAirportCode('LAX', 'KLAX')
  @Compare('from', (to, from) => to !== from, 'to must be a different airport than from')
  to: string;

  @ApiProperty({ example: '2026-03-01', description: 'Departure day (UTC), YYYY-MM-DD' })
  @IsDay()
  date: string;
}

/** What the query-service takes for a search: the user's query, or the cache-warmer's (`warm`). */
export class SearchFlightsPayload extends SearchQuery {
  /** Sent by the cache-warmer: not a user's search, so it does not count towards popular routes. */
  @IsOptional()
  @IsBoolean({ message: 'warm must be true or false' })
  warm?: boolean;
}

export class RoundTripQuery extends RefreshQuery {
  @ApiProperty({ example: 'JFK', description: 'IATA, or ICAO' })
  @IsAirportCode('JFK', 'KJFK')
  from: string;

  @ApiProperty({ example: 'LAX', description: 'IATA, or ICAO' })
  @IsAirportCode('LAX', 'KLAX')
  @Compare('from', (to, from) => to !== from, 'to must be a different airport than from')
  to: string;

  @ApiProperty({ example: '2026-03-01', description: 'Outbound day (UTC), YYYY-MM-DD' })
  @IsDay()
  depart: string;

  @ApiProperty({ example: '2026-03-08', description: 'Return day (UTC), YYYY-MM-DD, not before depart' })
  @IsDay()
  @Compare('depart', (ret, depart) => ret >= depart, 'return must not be before depart')
  return: string;
}

export class LimitQuery {
  @OptionalCount(10)
  limit: number = 10;
}

export const DEFAULT_HUBS = ['ATL', 'ORD', 'JFK', 'LAX', 'DFW'];
const MAX_HUBS = 20;

export class HubRoutesQuery extends RefreshQuery {
  @ApiPropertyOptional({
    example: DEFAULT_HUBS.join(','),
    description: `Up to ${MAX_HUBS} IATA codes, comma-separated`,
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsArray({ message: 'airports must be a comma-separated list of IATA codes' })
  @ArrayMinSize(1, { message: 'airports must name at least one airport' })
  @ArrayMaxSize(MAX_HUBS, { message: `airports must name at most ${MAX_HUBS} airports` })
  @Matches(IATA_CODE, {
    each: true,
    message: 'airports must be IATA codes of 3 uppercase letters, comma-separated',
  })
  airports: string[] = DEFAULT_HUBS;

  @OptionalCount(20)
  limit: number = 20;
}

/** One end of a route: IATA code (null for the airports that have none), ICAO code, name. */
export interface RouteEnd {
  iata: string | null;
  icao: string;
  name: string;
}

export interface FlightOffer {
  flightId: number;
  flightno: string;
  departure: string;
  arrival: string;
  durationMinutes: number;
  airline: { iata: string; name: string | null };
  from: RouteEnd;
  to: RouteEnd;
  capacity: number;
  bookedSeats: number;
  freeSeats: number;
}

export interface RoundTrip {
  outbound: FlightOffer[];
  return: FlightOffer[];
}

export interface PopularRoute {
  from: string;
  to: string;
  searches: number;
}

export interface HubRoute {
  from: RouteEnd;
  to: RouteEnd;
  /** Flights operated on the route. */
  flights: number;
  /** Distinct airlines flying it. */
  airlines: number;
  /** Flight numbers in the weekly schedule (flightschedule). */
  scheduled: number;
}

/** Hubs in a canonical order, so "ATL,JFK" and "JFK,ATL" share one entry. */
export function hubSet(airports: string[]): string[] {
  return [...new Set(airports)].sort();
}

/** Member of the popular-routes sorted set for a searched route. */
export function popularRouteMember(from: string, to: string): string {
  return `${from}:${to}`;
}

/**
 * Ranks a searched route (see each read's `rankedRoute`). Fire-and-forget: ranking must not slow a search down,
 * nor a dead cache fail it.
 */
export function bumpPopularRoute(cache: CacheService, route: [from: string, to: string] | null): void {
  if (!route) return;
  void cache.guard((c) => c.zincrby(cache.key(Keys.popularRoutes()), 1, popularRouteMember(...route)));
}

export const SEARCH_READS = {
  /** Flights on a route and day with booked and free seats. */
  searchFlights: read({
    pattern: { cmd: 'reads.search-flights' },
    payload: typed<SearchFlightsPayload>(),
    request: SearchFlightsPayload,
    result: typed<FlightOffer[]>(),
    queryClass: 'flight_search',
    ttl: 'search',
    cache: { json: (p) => Keys.flightSearch(p.from, p.to, p.date) },
    explain: true,
    rankedRoute: (p) => (p.warm ? null : [p.from, p.to]),
  }),

  /** Both directions in one answer. */
  roundTrip: read({
    pattern: { cmd: 'reads.roundtrip' },
    payload: typed<RoundTripQuery>(),
    request: RoundTripQuery,
    result: typed<RoundTrip>(),
    queryClass: 'roundtrip',
    ttl: 'search',
    cache: { json: (p) => Keys.roundTrip(p.from, p.to, p.depart, p.return) },
    explain: false,
    rankedRoute: (p) => [p.from, p.to],
  }),

  /**
   * The most searched routes: a sorted set bumped by every search that lives only in Valkey (nothing to load, so
   * no statistics and no TTL).
   */
  popularRoutes: read({
    pattern: { cmd: 'reads.popular-routes' },
    payload: typed<LimitQuery>(),
    request: LimitQuery,
    result: typed<PopularRoute[]>(),
    queryClass: null,
    ttl: null,
    cache: { structures: () => [Keys.popularRoutes()] },
    readStructure: (c, keys, p) => readPopularRoutes(c, keys, p.limit),
    explain: false,
  }),

  /** Routes from hub airports with flight counts: the BI query over flight and flightschedule. */
  hubRoutes: read({
    pattern: { cmd: 'reads.hub-routes' },
    payload: typed<HubRoutesQuery>(),
    request: HubRoutesQuery,
    result: typed<HubRoute[]>(),
    queryClass: 'hub_routes',
    ttl: 'bi',
    cache: { json: (p) => Keys.hubRoutes(hubSet(p.airports), p.limit) },
    explain: true,
  }),
};
