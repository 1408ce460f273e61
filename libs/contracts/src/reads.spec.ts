import { NON_CACHE_KEY_PREFIXES } from '@app/cache';
import { jsonEntry } from './read-operation';
import { EXPLAINABLE_QUERIES, READS, ReadName } from './reads';
import { WEATHER } from './weather';
import { WRITES } from './writes';

const names = <T extends object>(o: T) => Object.keys(o) as (keyof T)[];

describe('operation definitions', () => {
  it('keep the message patterns the services have always answered (the wire does not change)', () => {
    const patterns = (ops: Record<string, { pattern: { cmd: string } }>) =>
      Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, op.pattern.cmd]));
    expect(patterns(READS)).toEqual({
      flight: 'reads.flight',
      manifest: 'reads.manifest',
      seats: 'reads.seats',
      passengerFlights: 'reads.passenger-flights',
      passengerProfile: 'reads.passenger-profile',
      passengerSample: 'reads.passenger-sample',
      airportsByCountry: 'reads.airports-by-country',
      airport: 'reads.airport',
      searchFlights: 'reads.search-flights',
      roundTrip: 'reads.roundtrip',
      popularRoutes: 'reads.popular-routes',
      hubRoutes: 'reads.hub-routes',
      explain: 'reads.explain',
    });
    expect(patterns(WRITES)).toEqual({
      createBooking: 'bookings.create',
      bookingStatus: 'bookings.status',
      cancelBooking: 'bookings.cancel',
      updateFlight: 'flights.update',
      flightChangeStatus: 'flights.change-status',
      flightChangeTotals: 'flights.change-totals',
    });
    expect(patterns(WEATHER)).toEqual({
      current: 'weather.current',
      cities: 'weather.cities',
      evict: 'weather.evict',
    });
  });

  it('no two operations share a pattern', () => {
    const all = [READS, WRITES, WEATHER].flatMap((ops) => Object.values(ops).map((op) => op.pattern.cmd));
    expect(new Set(all).size).toBe(all.length);
  });

  it('file each read under the statistics class GET /api/stats has always reported', () => {
    expect(Object.fromEntries(names(READS).map((n) => [n, READS[n].queryClass]))).toEqual({
      flight: 'flight',
      manifest: 'manifest',
      seats: 'seats',
      passengerFlights: 'passenger_flights',
      passengerProfile: 'passenger_profile',
      passengerSample: 'passenger_sample',
      airportsByCountry: 'airports_by_country',
      airport: 'airport',
      searchFlights: 'flight_search',
      roundTrip: 'roundtrip',
      popularRoutes: null,
      hubRoutes: 'hub_routes',
      explain: 'explain',
    });
    expect(WEATHER.current.queryClass).toBe('weather');
  });

  it('name statistics classes as plain identifiers usable in a key (the /api/stats rows)', () => {
    const used = [READS, WEATHER]
      .flatMap((ops) => Object.values(ops).map((op) => op.queryClass))
      .filter((c): c is string => c !== null);
    expect(used.length).toBeGreaterThan(10);
    for (const cls of used) expect(cls).toMatch(/^[a-z_]+$/);
  });

  it('list the plans GET /api/queries/:name/explain shows, in the order its 400 message names them', () => {
    expect(EXPLAINABLE_QUERIES).toEqual([
      'flight',
      'manifest',
      'seats',
      'passenger_flights',
      'passenger_profile',
      'passenger_sample',
      'airports_by_country',
      'airport',
      'flight_search',
      'hub_routes',
    ]);
  });
});

describe('read keys', () => {
  it('map each payload to the key it has always been cached under', () => {
    expect(jsonEntry(READS.flight, { flightId: 7 })).toEqual({
      queryClass: 'flight',
      key: 'flight:7',
      ttl: 'flight',
    });
    expect(READS.manifest.cache.json({ flightId: 7 })).toBe('manifest:7');
    expect(READS.seats.cache.structures({ flightId: 7 })).toEqual(['seats:7', 'seatmap:7']);
    expect(READS.passengerFlights.cache.json({ passportNo: 'P123' })).toBe('passenger_flights:P123');
    expect(READS.passengerProfile.cache.structures({ passengerId: 7 })).toEqual([
      'passenger:7:profile',
      'passenger:7:routes',
    ]);
    expect(READS.passengerSample.cache.structures()).toEqual(['passengers:pool']);
    expect(READS.airportsByCountry.cache.json({ country: 'Germany', limit: 50 })).toBe(
      'airports:country:Germany:50',
    );
    expect(READS.airport.cache.json({ iata: 'FRA' })).toBe('airport:FRA');
    expect(jsonEntry(READS.searchFlights, { from: 'FRA', to: 'JFK', date: '2030-05-01' })).toEqual({
      queryClass: 'flight_search',
      key: 'search:FRA:JFK:2030-05-01',
      ttl: 'search',
    });
    expect(
      READS.roundTrip.cache.json({ from: 'FRA', to: 'JFK', depart: '2030-05-01', return: '2030-05-08' }),
    ).toBe('roundtrip:FRA:JFK:2030-05-01:2030-05-08');
    expect(READS.popularRoutes.cache.structures()).toEqual(['routes:popular']);
    expect(READS.explain.cache.jsonPerEngine({ name: 'flight_search' }, 'postgres')).toBe(
      'explain:postgres:flight_search',
    );
  });

  it('a hub set is one entry whatever the order and repeats of its airports', () => {
    const a = READS.hubRoutes.cache.json({ airports: ['JFK', 'ATL'], limit: 5 });
    expect(a).toBe('hubs:ATL,JFK:5');
    expect(READS.hubRoutes.cache.json({ airports: ['ATL', 'JFK', 'ATL'], limit: 5 })).toBe(a);
  });

  it('are cached copies: DELETE /api/cache removes them', () => {
    const kept = (key: string) => NON_CACHE_KEY_PREFIXES.some((p) => key.startsWith(p));
    expect(['flight:1', 'seats:1', 'passenger:1:profile', 'explain:mysql:flight'].filter(kept)).toEqual([]);
  });

  it('the gateway answers hits itself on the reads cached as one JSON string, and on no other', () => {
    const json = names(READS).filter((n: ReadName) => 'json' in READS[n].cache);
    expect(json).toEqual([
      'flight',
      'manifest',
      'passengerFlights',
      'airportsByCountry',
      'airport',
      'searchFlights',
      'roundTrip',
      'hubRoutes',
    ]);
  });
});

describe('answer-time additions', () => {
  const past = { departure: '2000-01-01T10:00:00Z', arrival: '2000-01-01T12:00:00Z' };
  const future = { departure: '2999-01-01T10:00:00Z', arrival: '2999-01-01T12:00:00Z' };

  it('a flight and each flight of a passenger get their status, the cached value is left untouched', () => {
    // Partial fixtures: only the times matter here.
    const flight = { ...past } as Parameters<typeof READS.flight.present>[0];
    expect(READS.flight.present(flight)).toMatchObject({ status: 'completed' });
    expect(flight).not.toHaveProperty('status');
    const history = { flights: [past, future] } as Parameters<typeof READS.passengerFlights.present>[0];
    expect(READS.passengerFlights.present(history).flights.map((f) => f.status)).toEqual([
      'completed',
      'upcoming',
    ]);
  });

  it('reads that do not depend on the clock are answered as cached', () => {
    expect('present' in READS.airport).toBe(false);
  });

  it("a user's searches and round trips rank their route; the warmer's searches and other reads do not", () => {
    expect(READS.searchFlights.rankedRoute({ from: 'FRA', to: 'JFK', date: '2030-05-01' })).toEqual([
      'FRA',
      'JFK',
    ]);
    expect(
      READS.searchFlights.rankedRoute({ from: 'FRA', to: 'JFK', date: '2030-05-01', warm: true }),
    ).toBeNull();
    expect(READS.roundTrip.rankedRoute({ from: 'JFK', to: 'FRA', depart: 'd', return: 'r' })).toEqual([
      'JFK',
      'FRA',
    ]);
    expect('rankedRoute' in READS.flight).toBe(false);
  });
});
