import { flightStatus, withFlightStatus } from './flight-reads';

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
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    expect(flightStatus(iso(hour), iso(2 * hour))).toBe('upcoming');
    expect(flightStatus(iso(-hour), iso(hour))).toBe('in progress');
    expect(flightStatus(iso(-2 * hour), iso(-hour))).toBe('completed');
  });
});

describe('withFlightStatus', () => {
  it('adds the status to a cached flight without changing the cached value', () => {
    const cached = { flightId: 1, departure: '2000-01-01T10:00:00Z', arrival: '2000-01-01T12:00:00Z' };
    expect(withFlightStatus(cached)).toEqual({ ...cached, status: 'completed' });
    expect(cached).not.toHaveProperty('status');
  });
});
