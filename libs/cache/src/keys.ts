/**
 * Every cache key, tag, channel, stream and TTL class of the project, in one place.
 * Builders return logical names; the cache layer adds CACHE_KEY_PREFIX in front of every one of them.
 * Sections: reads (query-service), writes (writer-service, cache-warmer), weather, infrastructure.
 */
import { AppConfig } from '@app/platform/config';

// ---------------------------------------------------------------------------------------------------------------
// TTL classes: what kind of data an entry is decides how long it lives (values from configuration, TTL_*).
export type TtlClass = keyof AppConfig['cache']['ttl'];

export function ttlSeconds(config: AppConfig, cls: TtlClass): number {
  return config.cache.ttl[cls];
}

// ---------------------------------------------------------------------------------------------------------------
// Query classes: statistics are kept per class (dashboard rows); each operation in libs/contracts names its own.
export type QueryClass = string;

// ---------------------------------------------------------------------------------------------------------------
// Reads (query-service)
export const Keys = {
  flight: (flightId: number) => `flight:${flightId}`,
  manifest: (flightId: number) => `manifest:${flightId}`,
  /**
   * Hash {capacity, booked, available} (a "not found" flight is {found: 0}). Writers that change a flight's seats
   * update it and the bitmap together, and only when the hash exists (else the next read rebuilds both).
   */
  seatCounters: (flightId: number) => `seats:${flightId}`,
  /** Bitmap: bit seatIndex(seat) is 1 when the seat is taken (see domain/seats.ts). */
  seatMap: (flightId: number) => `seatmap:${flightId}`,
  passengerFlights: (passportNo: string) => `passenger_flights:${passportNo}`,
  /** Hash of totals. */
  passengerProfile: (passengerId: number) => `passenger:${passengerId}:profile`,
  /** Sorted set: route "FROM-TO" scored by flights taken. */
  passengerRoutes: (passengerId: number) => `passenger:${passengerId}:routes`,
  passengerSample: (count: number) => `passengers:sample:${count}`,
  /** Set of JSON passenger entries (random passengers with bookings): each sample request draws from it (SRANDMEMBER). */
  passengerPool: () => 'passengers:pool',
  /** Country as given: MySQL compares it case-insensitively, PostgreSQL does not, so one key per spelling. */
  airportsByCountry: (country: string, limit: number) => `airports:country:${country}:${limit}`,
  airport: (iata: string) => `airport:${iata}`,
  flightSearch: (from: string, to: string, date: string) => `search:${from}:${to}:${date}`,
  roundTrip: (from: string, to: string, depart: string, ret: string) =>
    `roundtrip:${from}:${to}:${depart}:${ret}`,
  /** Sorted set: "FROM:TO" scored by searches. */
  popularRoutes: () => 'routes:popular',
  hubRoutes: (airports: string[], limit: number) => `hubs:${airports.join(',')}:${limit}`,
  explain: (name: string, engine: string) => `explain:${engine}:${name}`,
  /** Weather of a city: {data, fetchedAt, freshUntil}; kept past freshness for WEATHER_STALE_GRACE (serve-stale). */
  weather: (country: string, zip: string) => `weather:${country}:${zip}`,
  /** The list of cities the provider knows. */
  weatherCities: () => 'weather-cities',
  /** Rows of a guarded NL->SQL query: SHA-256 of its normalised SQL, per engine (tagged with Tags.table). */
  askQuery: (engine: string, sqlHash: string) => `ask:query:${engine}:${sqlHash}`,
  /** Hash {question, sql, vec, at}: one answered question of the semantic cache, per engine and embedding model. */
  askSemantic: (engine: string, model: string, questionHash: string) =>
    `ask:semantic:${engine}:${model}:${questionHash}`,
  /** Sorted set of askSemantic keys by time stored: the bounded scan reads it, trimming keeps it bounded. */
  askSemanticIndex: (engine: string, model: string) => `ask:semantic-index:${engine}:${model}`,
  /**
   * Sorted set: airports (IATA code, else ICAO) of one day scored by departures, arrivals, flights (both) or
   * passengers (booked seats departing or arriving), built from the database on a miss. Not under 'leaderboard:'
   * (event-kept state): these are cached copies that DELETE /api/cache may drop.
   */
  airportBoard: (date: string, by: string) => `leaderboards:airports:${date}:${by}`,
  /** Hash of one day's board: airport code -> name, plus `@<ICAO>` -> code (rank by ICAO) and `builtAt` (µs). */
  airportBoardNames: (date: string, by: string) => `leaderboards:airports:${date}:${by}:names`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Tags: invalidating a tag removes every entry registered under it (a set of keys per tag).
export const Tags = {
  flight: (flightId: number) => `flight:${flightId}`,
  /**
   * The flight's seat map and counters: apart from `flight`, since every booking, cancellation and flush changes
   * them in place (the seat scripts, atomically with the reservation) rather than drop them. A flight change drops
   * them with the flight.
   */
  seats: (flightId: number) => `seats:${flightId}`,
  route: (from: string, to: string, date: string) => `route:${from}:${to}:${date}`,
  passenger: (passengerId: number) => `passenger:${passengerId}`,
  /** The passenger's profile: apart from `passenger`, since a booking updates it in place rather than drop it. */
  passengerProfile: (passengerId: number) => `passenger-profile:${passengerId}`,
  airport: (iata: string) => `airport:${iata}`,
  /** Every entry that read a table (NL->SQL query results): a write to the table invalidates them all. */
  table: (name: string) => `table:${name}`,
  /** The airport leaderboards of one day: a flight moved from or to the day invalidates them. */
  airportDay: (date: string) => `airport-day:${date}`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Infrastructure (cache primitives)
export const InfraKeys = {
  /** The set of keys under a tag. */
  tagSet: (tag: string) => `tag:${tag}`,
  /** Version of a tag, bumped by every invalidation: a load that started before it does not write back. */
  tagVersion: (tag: string) => `tagver:${tag}`,
  /** Set of the query classes that have statistics. */
  statsClasses: () => 'stats:classes',
  /** Fence of an entry: server time (µs) of its last invalidation by key; a load started before it does not store. */
  fence: (key: string) => `fence:${key}`,
  /** The last failed load of a key, shared with the callers that waited for it (see BuildSpec.shareFailures). */
  loadFailure: (key: string) => `load-failure:${key}`,
  /** Stampede lock for a key. */
  lock: (key: string) => `lock:${key}`,
  /** Pub/sub channel on which "key filled" notifications are published (message = logical key). */
  fillChannel: () => 'fill',
  /** Statistics hash per query class (counters shared by all processes). */
  stats: (cls: string) => `stats:${cls}`,
  /** Latency histogram per query class and source (hash bucket -> count). */
  latencyHistogram: (cls: string, source: 'cache' | 'database' | 'upstream') => `stats:${cls}:hist:${source}`,
} as const;

/**
 * Key families that DELETE /api/cache must leave alone: they are not cached copies but state of record
 * (pending write-behind bookings, queues) or bookkeeping (statistics, locks).
 */
export const NON_CACHE_KEY_PREFIXES = [
  'wb:',
  'bull:',
  'stats:',
  'lock:',
  'leaderboard:',
  'tagver:',
  'fence:',
  // Server-side sessions: logged-in users, not cached copies (flushing the cache must not log anyone out).
  'session:',
] as const;

/** How long a tag's version outlives its last invalidation (longer than any load can take). */
export const TAG_VERSION_TTL_SECONDS = 24 * 3600;

/** How long an entry's fence outlives its invalidation: longer than any load may run (CACHE_LOADER_TIMEOUT_MS). */
export function fenceTtlSeconds(loaderTimeoutMs: number): number {
  return Math.ceil(loaderTimeoutMs / 1000) * 2 + 60;
}

// ---------------------------------------------------------------------------------------------------------------
// Writes (writer-service, cache-warmer): added by the write-path work.
// Cache-class write keys (under CACHE_KEY_PREFIX, flushed with the cache):
export const WriteKeys = {
  /** Sorted set: bookings per airport IATA (traffic leaderboard), both airports of every booking. */
  airportLeaderboard: () => 'leaderboard:airport:bookings',
  /** Sorted set: "passengerId:passportNo" scored by bookings seen in events (who to keep warm). */
  activePassengers: () => 'leaderboard:passenger:bookings',
  /** Marker "this event was applied to the leaderboards" (SET NX), so a replayed event changes nothing. */
  processedEvent: (eventId: string) => `leaderboard:applied:${eventId}`,
  /** The same for the day boards (GET /api/leaderboards/airports): their own marker, their own script. */
  processedDayEvent: (eventId: string) => `leaderboard:applied-day:${eventId}`,
  /** List (capped): invalidation lag in ms, event committed -> tagged keys gone, pushed by every warmer. */
  invalidationLag: () => 'stats:invalidation-lag',
  /** JSON {capacity, fromIata, toIata, departure}: what a booking needs to know about a flight. */
  bookingFlightFacts: (flightId: number) => `booking-facts:flight:${flightId}`,
  /** JSON {passportNo}: what a booking needs to know about a passenger. */
  bookingPassengerFacts: (passengerId: number) => `booking-facts:passenger:${passengerId}`,
} as const;

/**
 * Write-path state of record: accepted-but-not-yet-persisted bookings. Under the 'wb:' family, which
 * DELETE /api/cache leaves alone (NON_CACHE_KEY_PREFIXES); on the cache server, because the reservation script
 * touches them and the seat bitmap atomically.
 */
export const DurableWriteKeys = {
  /** Stream of accepted write-behind bookings, read by the flushers' consumer group. */
  writeBehindStream: () => 'wb:bookings',
  writeBehindGroup: () => 'wb-flushers',
  /** Hash: status of a write-behind booking by reference (pending / persisted / failed). */
  bookingStatus: (reference: string) => `wb:booking:${reference}`,
  /**
   * Hash per flight, never expires: seatIndex -> reference (write-behind reservation) or "hold:<expiresAtMs>"
   * (a write-through insert in flight), plus field "version" bumped on every committed seat change.
   */
  pendingSeats: (flightId: number) => `wb:pending:${flightId}`,
  /** JSON: the first outcome of a write sent with an Idempotency-Key (replayed to retries for 24 h). */
  idempotency: (scope: string, key: string) => `wb:idempotency:${scope}:${key}`,
  /** Stream of accepted write-behind flight changes (PATCH /api/flights/:id, mode write-behind). */
  flightChangeStream: () => 'wb:flight-changes',
  flightChangeGroup: () => 'wb-flight-flushers',
  /** Hash: status of a write-behind flight change by reference (pending / persisted / failed). */
  flightChangeStatus: (reference: string) => `wb:flight-change:${reference}`,
  /** Hash per flight while changes are pending: the latest accepted {seq, departure, arrival, durationMinutes}. */
  flightChangePending: (flightId: number) => `wb:flight-pending:${flightId}`,
  /** Counter per flight: the order of its accepted changes (applied in this order, whatever batch they land in). */
  flightChangeSeq: (flightId: number) => `wb:flight-seq:${flightId}`,
  /** Hash of totals: accepted, persisted, updates (UPDATE statements run), batches: what coalescing saves. */
  flightChangeTotals: () => 'wb:flight-changes:totals',
} as const;

/** Server-side sessions (the gateway's /api/session): logged-in users, kept with a sliding TTL. */
export const SessionKeys = {
  /** Hash {passengerId, passportNo, firstname, lastname, createdAt, lastSeenAt}. */
  session: (id: string) => `session:${id}`,
  /** Set of flight ids: the basket (SADD/SREM, so two tabs adding at once lose nothing). */
  basket: (id: string) => `session:${id}:basket`,
  /** List of JSON weather lookups, newest first (capped). */
  weather: (id: string) => `session:${id}:weather`,
} as const;

/** Field of DurableWriteKeys.pendingSeats that counts committed seat changes (optimistic seat-map rebuilds). */
export const PENDING_VERSION_FIELD = 'version';

/**
 * BullMQ prefix: "cmiyc:" -> "cmiyc:bull" (kept by DELETE /api/cache; tests get their own from their key prefix).
 * On a cluster it is a hash tag, "{cmiyc:bull}": BullMQ's scripts touch several keys of a queue at once, which
 * must share a slot (BullMQ's own advice); all queues then live on one master.
 */
export function queuePrefix(config: AppConfig): string {
  const prefix = `${config.cache.keyPrefix}bull`;
  return config.queue?.clusterNodes?.length ? `{${prefix}}` : prefix;
}
