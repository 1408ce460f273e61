/**
 * Every cache key, tag, channel, stream and TTL class of the project, in one place.
 * Builders return logical names; the cache layer adds CACHE_KEY_PREFIX in front of every one of them.
 * Sections: reads (query-service), writes (writer-service, cache-warmer), weather, infrastructure.
 */
import { AppConfig } from '../config/config';

// ---------------------------------------------------------------------------------------------------------------
// TTL classes: what kind of data an entry is decides how long it lives (values from configuration, TTL_*).
export type TtlClass = keyof AppConfig['cache']['ttl'];

export function ttlSeconds(config: AppConfig, cls: TtlClass): number {
  return config.cache.ttl[cls];
}

// ---------------------------------------------------------------------------------------------------------------
// Query classes: statistics are kept per class (dashboard rows).
export const QUERY_CLASSES = [
  'flight',
  'manifest',
  'seats',
  'passenger_flights',
  'passenger_profile',
  'passenger_sample',
  'airports_by_country',
  'airport',
  'flight_search',
  'roundtrip',
  'hub_routes',
  'explain',
  'weather',
] as const;
export type QueryClass = (typeof QUERY_CLASSES)[number];

// ---------------------------------------------------------------------------------------------------------------
// Reads (query-service)
export const Keys = {
  flight: (flightId: number) => `flight:${flightId}`,
  manifest: (flightId: number) => `manifest:${flightId}`,
  /** Hash {capacity, booked, available}. */
  seatCounters: (flightId: number) => `seats:${flightId}`,
  /** Bitmap: bit seatIndex(seat) is 1 when the seat is taken (see domain/seats.ts). */
  seatMap: (flightId: number) => `seatmap:${flightId}`,
  passengerFlights: (passportNo: string) => `passenger_flights:${passportNo}`,
  /** Hash of totals. */
  passengerProfile: (passengerId: number) => `passenger:${passengerId}:profile`,
  /** Sorted set: route "FROM-TO" scored by flights taken. */
  passengerRoutes: (passengerId: number) => `passenger:${passengerId}:routes`,
  passengerSample: (count: number) => `passengers:sample:${count}`,
  airportsByCountry: (country: string, limit: number) => `airports:country:${country.toLowerCase()}:${limit}`,
  airport: (iata: string) => `airport:${iata}`,
  flightSearch: (from: string, to: string, date: string) => `search:${from}:${to}:${date}`,
  roundTrip: (from: string, to: string, depart: string, ret: string) => `roundtrip:${from}:${to}:${depart}:${ret}`,
  /** Sorted set: "FROM:TO" scored by searches. */
  popularRoutes: () => 'routes:popular',
  hubRoutes: (airports: string[], limit: number) => `hubs:${airports.join(',')}:${limit}`,
  explain: (name: string, engine: string) => `explain:${engine}:${name}`,
  weather: (country: string, zip: string) => `weather:${country}:${zip}`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Tags: invalidating a tag removes every entry registered under it (a set of keys per tag).
export const Tags = {
  flight: (flightId: number) => `flight:${flightId}`,
  route: (from: string, to: string, date: string) => `route:${from}:${to}:${date}`,
  passenger: (passengerId: number) => `passenger:${passengerId}`,
  airport: (iata: string) => `airport:${iata}`,
  popularRoutes: () => 'popular-routes',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Infrastructure (cache primitives)
export const InfraKeys = {
  /** The set of keys under a tag. */
  tagSet: (tag: string) => `tag:${tag}`,
  /** Stampede lock for a key. */
  lock: (key: string) => `lock:${key}`,
  /** Pub/sub channel on which "key filled" notifications are published (message = logical key). */
  fillChannel: () => 'fill',
  /** Statistics hash per query class (counters shared by all processes). */
  stats: (cls: string) => `stats:${cls}`,
  /** Latency histogram per query class and source (hash bucket -> count). */
  latencyHistogram: (cls: string, source: 'cache' | 'database' | 'upstream') => `stats:${cls}:hist:${source}`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Writes (writer-service, cache-warmer): added by the write-path work.
export const WriteKeys = {
  /** Write-behind stream of accepted bookings. */
  writeBehindStream: () => 'wb:bookings',
  writeBehindGroup: () => 'wb-flushers',
  /** Hash: status of a write-behind booking by reference. */
  bookingStatus: (reference: string) => `wb:booking:${reference}`,
  /** Sorted set: bookings per airport (traffic leaderboard). */
  airportLeaderboard: () => 'leaderboard:airport:bookings',
} as const;
