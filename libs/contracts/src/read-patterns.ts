/**
 * Message patterns between the gateway and the query-service (cache-aside reads).
 * Every reply is a CacheResult<T> (see cache.types.ts) that the gateway turns into the envelope.
 * Payload and result types live in dto/reads.ts.
 */
export const READ_PATTERNS = {
  flight: { cmd: 'reads.flight' },
  manifest: { cmd: 'reads.manifest' },
  seats: { cmd: 'reads.seats' },
  passengerSample: { cmd: 'reads.passenger-sample' },
  passengerFlights: { cmd: 'reads.passenger-flights' },
  passengerProfile: { cmd: 'reads.passenger-profile' },
  airportsByCountry: { cmd: 'reads.airports-by-country' },
  airport: { cmd: 'reads.airport' },
  searchFlights: { cmd: 'reads.search-flights' },
  roundTrip: { cmd: 'reads.roundtrip' },
  popularRoutes: { cmd: 'reads.popular-routes' },
  hubRoutes: { cmd: 'reads.hub-routes' },
  explain: { cmd: 'reads.explain' },
} as const;

export type ReadPatternName = keyof typeof READ_PATTERNS;
