import { Keys, QueryClass } from '@app/cache';
import { CacheService } from '@app/cache';
import { ReadPatternName } from './read-patterns';
import {
  AirportsByCountryPayload,
  FlightIdPayload,
  FlightStatus,
  HubRoutesPayload,
  IataPayload,
  PassportPayload,
  RoundTripPayload,
  SamplePayload,
  SearchPayload,
} from './reads.dto';

/** Where a read that is cached as one JSON string lives, and how its statistics are filed. */
export interface ReadEntry {
  queryClass: QueryClass;
  key: string;
}

/**
 * The reads cached as one JSON string, with their key. One definition used by the query-service (which loads and
 * fills these entries) and by the gateway (which answers hits on them without a hop to the query-service).
 * Reads kept as data structures (seats, profile) and the popular-routes ranking are not in this table.
 */
export const JSON_READS = {
  flight: (p: FlightIdPayload): ReadEntry => ({ queryClass: 'flight', key: Keys.flight(p.flightId) }),
  manifest: (p: FlightIdPayload): ReadEntry => ({ queryClass: 'manifest', key: Keys.manifest(p.flightId) }),
  passengerSample: (p: SamplePayload): ReadEntry => ({
    queryClass: 'passenger_sample',
    key: Keys.passengerSample(p.count),
  }),
  passengerFlights: (p: PassportPayload): ReadEntry => ({
    queryClass: 'passenger_flights',
    key: Keys.passengerFlights(p.passportNo),
  }),
  airportsByCountry: (p: AirportsByCountryPayload): ReadEntry => ({
    queryClass: 'airports_by_country',
    key: Keys.airportsByCountry(p.country, p.limit),
  }),
  airport: (p: IataPayload): ReadEntry => ({ queryClass: 'airport', key: Keys.airport(p.iata) }),
  searchFlights: (p: SearchPayload): ReadEntry => ({
    queryClass: 'flight_search',
    key: Keys.flightSearch(p.from, p.to, p.date),
  }),
  roundTrip: (p: RoundTripPayload): ReadEntry => ({
    queryClass: 'roundtrip',
    key: Keys.roundTrip(p.from, p.to, p.depart, p.return),
  }),
  hubRoutes: (p: HubRoutesPayload): ReadEntry => ({
    queryClass: 'hub_routes',
    key: Keys.hubRoutes(hubSet(p.airports), p.limit),
  }),
} satisfies Partial<Record<ReadPatternName, (payload: never) => ReadEntry>>;

export type JsonReadName = keyof typeof JSON_READS;

export function isJsonRead(name: ReadPatternName): name is JsonReadName {
  return name in JSON_READS;
}

/** Hubs in a canonical order, so "ATL,JFK" and "JFK,ATL" share one entry. */
export function hubSet(airports: string[]): string[] {
  return [...new Set(airports)].sort();
}

/** Decided at answer time, so a cached flight turns from upcoming to in progress to completed on its own. */
export function flightStatus(departure: string, arrival: string, now = Date.now()): FlightStatus {
  if (Date.parse(departure) > now) return 'upcoming';
  if (Date.parse(arrival) < now) return 'completed';
  return 'in progress';
}

/** What is added to a cached value when it is answered (the flight status, which depends on the clock). */
export function presentRead(name: ReadPatternName, value: any): any {
  if (value === null) return value;
  if (name === 'flight') return { ...value, status: flightStatus(value.departure, value.arrival) };
  if (name === 'passengerFlights') {
    return {
      ...value,
      flights: value.flights.map((f: { departure: string; arrival: string }) => ({
        ...f,
        status: flightStatus(f.departure, f.arrival),
      })),
    };
  }
  return value;
}

/** Member of the popular-routes sorted set for a searched route. */
export function popularRouteMember(from: string, to: string): string {
  return `${from}:${to}`;
}

/** Ranks a searched route. Fire-and-forget: ranking must not slow a search down, nor a dead cache fail it. */
export function bumpPopularRoute(cache: CacheService, from: string, to: string): void {
  void cache.guard((c) => c.zincrby(cache.key(Keys.popularRoutes()), 1, popularRouteMember(from, to)));
}

/** Searches rank their route in the popular-routes sorted set. */
export function searchedRoute(name: ReadPatternName, payload: unknown): [string, string] | null {
  if (name !== 'searchFlights' && name !== 'roundTrip') return null;
  const p = payload as SearchPayload;
  return [p.from, p.to];
}
