import {
  JSON_READS,
  flightStatus,
  hubSet,
  isJsonRead,
  popularRouteMember,
  presentRead,
  searchedRoute,
} from './read-entries';

describe('flightStatus', () => {
  const departure = '2030-05-01T10:00:00.000Z';
  const arrival = '2030-05-01T13:00:00.000Z';
  const at = (iso: string) => Date.parse(iso);

  it('is upcoming before departure, in progress in the air, completed after arrival', () => {
    expect(flightStatus(departure, arrival, at('2030-05-01T09:59:59.999Z'))).toBe('upcoming');
    expect(flightStatus(departure, arrival, at('2030-05-01T11:30:00.000Z'))).toBe('in progress');
    expect(flightStatus(departure, arrival, at('2030-05-01T13:00:00.001Z'))).toBe('completed');
  });

  it('counts the moments of departure and arrival as in progress', () => {
    expect(flightStatus(departure, arrival, at(departure))).toBe('in progress');
    expect(flightStatus(departure, arrival, at(arrival))).toBe('in progress');
  });

  it('reads timestamps with an offset as the same instant', () => {
    expect(flightStatus('2030-05-01T12:00:00+02:00', '2030-05-01T15:00:00+02:00', at(departure))).toBe(
      'in progress',
    );
  });

  it('uses the clock when no time is given', () => {
    const hour = 3600_000;
    expect(
      flightStatus(new Date(Date.now() + hour).toISOString(), new Date(Date.now() + 2 * hour).toISOString()),
    ).toBe('upcoming');
    expect(
      flightStatus(new Date(Date.now() - 2 * hour).toISOString(), new Date(Date.now() - hour).toISOString()),
    ).toBe('completed');
  });
});

describe('presentRead', () => {
  const past = { departure: '2000-01-01T10:00:00Z', arrival: '2000-01-01T12:00:00Z' };
  const future = { departure: '2999-01-01T10:00:00Z', arrival: '2999-01-01T12:00:00Z' };

  it('adds the status to a flight and to each flight of a passenger, leaving the cached value untouched', () => {
    const flight = { flightId: 1, ...past };
    expect(presentRead('flight', flight)).toEqual({ ...flight, status: 'completed' });
    expect(flight).not.toHaveProperty('status');
    const history = { passportNo: 'P1', flights: [past, future] };
    expect(presentRead('passengerFlights', history).flights.map((f: { status: string }) => f.status)).toEqual(
      ['completed', 'upcoming'],
    );
  });

  it('passes "not found" (null) and other reads through', () => {
    expect(presentRead('flight', null)).toBeNull();
    const airport = { iata: 'FRA' };
    expect(presentRead('airport', airport)).toBe(airport);
  });
});

describe('JSON reads', () => {
  it('hub sets are canonical: order and repeats do not make another key', () => {
    expect(hubSet(['JFK', 'ATL', 'JFK'])).toEqual(['ATL', 'JFK']);
    const a = JSON_READS.hubRoutes({ airports: ['JFK', 'ATL'], limit: 5 });
    const b = JSON_READS.hubRoutes({ airports: ['ATL', 'JFK', 'ATL'], limit: 5 });
    expect(a).toEqual(b);
    expect(a.queryClass).toBe('hub_routes');
  });

  it('each read is filed under its own query class and key', () => {
    expect(JSON_READS.flight({ flightId: 7 })).toEqual({ queryClass: 'flight', key: 'flight:7' });
    expect(JSON_READS.searchFlights({ from: 'FRA', to: 'JFK', date: '2030-05-01' })).toEqual({
      queryClass: 'flight_search',
      key: 'search:FRA:JFK:2030-05-01',
    });
  });

  it('seats and profiles are structures, not JSON strings', () => {
    expect(isJsonRead('flight')).toBe(true);
    expect(isJsonRead('seats')).toBe(false);
    expect(isJsonRead('passengerProfile')).toBe(false);
  });
});

describe('searched routes', () => {
  it('searches and round trips rank their route; other reads do not', () => {
    expect(searchedRoute('searchFlights', { from: 'FRA', to: 'JFK', date: '2030-05-01' })).toEqual([
      'FRA',
      'JFK',
    ]);
    expect(searchedRoute('roundTrip', { from: 'JFK', to: 'FRA' })).toEqual(['JFK', 'FRA']);
    expect(searchedRoute('flight', { flightId: 1 })).toBeNull();
    expect(popularRouteMember('FRA', 'JFK')).toBe('FRA:JFK');
  });
});
