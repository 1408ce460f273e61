import { AppConfig, Dialect } from '@app/platform';
import { seatIndex } from '@app/contracts';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { REFERENCE_COUNTS, SCALE_SPECS } from '../../../tools/seed/scales';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { rawRows, scalar } from './db-helpers';

const TODAY = new Date('2025-06-01T12:00:00Z');
const DAY_MS = 86_400_000;

describe.each(TEST_ENGINES)('tiny dataset on %s', (engine) => {
  let config: AppConfig;
  let cleanup: () => Promise<void>;
  const q = (sql: string) => rawRows(config.db, sql);
  const count = (sql: string) => scalar(config.db, sql);
  const id = (name: string) => new Dialect(engine).id(name);

  beforeAll(async () => {
    config = testConfig(engine);
    cleanup = await createSeededTestDatabase(config, { today: TODAY });
  });
  afterAll(() => cleanup?.());

  it('has the real dump row counts for the reference tables and a few thousand bookings', async () => {
    expect(await count('SELECT COUNT(*) FROM airport')).toBe(REFERENCE_COUNTS.airport);
    expect(await count('SELECT COUNT(*) FROM airport_geo')).toBe(REFERENCE_COUNTS.airportGeo);
    expect(await count('SELECT COUNT(*) FROM airline')).toBe(REFERENCE_COUNTS.airline);
    expect(await count('SELECT COUNT(*) FROM airplane_type')).toBe(REFERENCE_COUNTS.airplaneType);
    expect(await count('SELECT COUNT(*) FROM airplane')).toBe(REFERENCE_COUNTS.airplane);
    expect(await count('SELECT COUNT(*) FROM flightschedule')).toBe(REFERENCE_COUNTS.flightschedule);
    expect(await count('SELECT COUNT(*) FROM employee')).toBe(REFERENCE_COUNTS.employee);
    expect(await count('SELECT COUNT(*) FROM passenger')).toBe(SCALE_SPECS.tiny.passengers);
    expect(await count('SELECT COUNT(*) FROM weatherdata')).toBeGreaterThan(0);
    const bookings = await count('SELECT COUNT(*) FROM booking');
    expect(bookings).toBeGreaterThan(2_000);
    expect(bookings).toBeLessThan(10_000);
  });

  it('has real airports with their real codes and coordinates', async () => {
    const [jfk] = await q(
      `SELECT a.icao, a.name, g.city, g.country, g.latitude, g.longitude
         FROM airport a JOIN airport_geo g ON g.airport_id = a.airport_id WHERE a.iata = 'JFK'`,
    );
    expect(jfk).toEqual([
      'KJFK',
      'John F Kennedy International',
      'New York',
      'USA',
      '40.63980103',
      '-73.77890015',
    ]);
    const german = (
      await q(`SELECT a.iata FROM airport a JOIN airport_geo g ON g.airport_id = a.airport_id
                               WHERE g.country = 'Germany' AND a.iata IS NOT NULL`)
    ).map((r) => r[0]);
    expect(german).toEqual(
      expect.arrayContaining(['BER', 'CGN', 'DTM', 'DRS', 'DUS', 'FRA', 'MUC', 'HAM', 'STR']),
    );
    expect(await count('SELECT COUNT(DISTINCT icao) FROM airport')).toBe(REFERENCE_COUNTS.airport);
  });

  it('keeps the fixtures other suites rely on', async () => {
    expect(
      await count(`SELECT COUNT(*) FROM booking WHERE flight_id = ${SEED_FIXTURES.dashboardFlightId}`),
    ).toBeGreaterThan(0);
    // The guided path's flight: upcoming (a week after the generation day), JFK -> LAX, with free seats.
    const [guided] = await q(
      `SELECT a.iata, b.iata, CAST(f.departure AS DATE), ap.capacity,
              (SELECT COUNT(*) FROM booking x WHERE x.flight_id = f.flight_id)
         FROM flight f JOIN airport a ON a.airport_id = f.${id('from')} JOIN airport b ON b.airport_id = f.${id('to')}
         JOIN airplane ap ON ap.airplane_id = f.airplane_id
        WHERE f.flight_id = ${SEED_FIXTURES.dashboardFlightId}`,
    );
    expect(guided.slice(0, 3)).toEqual([...SEED_FIXTURES.dashboardRoute, '2025-06-08']);
    expect(Number(guided[4])).toBeLessThan(Number(guided[3]));
    for (const hub of SEED_FIXTURES.hubs) {
      const departures = await count(
        `SELECT COUNT(*) FROM flight f JOIN airport a ON a.airport_id = f.${id('from')} WHERE a.iata = '${hub}'`,
      );
      expect({ hub, departures: departures > 0 }).toEqual({ hub, departures: true });
    }
    for (const [from, to] of SEED_FIXTURES.dailyRoutes) {
      const days = (
        await q(
          `SELECT DISTINCT CAST(f.departure AS DATE) FROM flight f
             JOIN airport a ON a.airport_id = f.${id('from')} JOIN airport b ON b.airport_id = f.${id('to')}
            WHERE a.iata = '${from}' AND b.iata = '${to}'`,
        )
      ).map((r) => r[0]);
      for (let d = -3; d <= 14; d++) {
        const day = new Date(Date.UTC(2025, 5, 1) + d * DAY_MS).toISOString().slice(0, 10);
        expect({ route: `${from}-${to}`, day, flies: days.includes(day) }).toEqual({
          route: `${from}-${to}`,
          day,
          flies: true,
        });
      }
    }
    expect(
      await count(
        'SELECT COUNT(*) FROM (SELECT passenger_id FROM booking GROUP BY passenger_id HAVING COUNT(*) >= 10) t',
      ),
    ).toBeGreaterThan(5);
    expect(await count('SELECT COUNT(DISTINCT capacity) FROM airplane')).toBeGreaterThan(20);
  });

  it('has flights before, around and after today', async () => {
    const today = "'2025-06-01 12:00:00'";
    expect(await count(`SELECT COUNT(*) FROM flight WHERE arrival < ${today}`)).toBeGreaterThan(0);
    expect(
      await count(`SELECT COUNT(*) FROM flight WHERE departure < ${today} AND arrival > ${today}`),
    ).toBeGreaterThan(0);
    expect(await count(`SELECT COUNT(*) FROM flight WHERE departure > ${today}`)).toBeGreaterThan(
      await count(`SELECT COUNT(*) FROM flight WHERE departure <= ${today}`),
    );
  });

  it('has no orphan rows', async () => {
    const orphans: Array<[string, string, string, string]> = [
      ['booking', 'flight_id', 'flight', 'flight_id'],
      ['booking', 'passenger_id', 'passenger', 'passenger_id'],
      ['passengerdetails', 'passenger_id', 'passenger', 'passenger_id'],
      ['flight', 'from', 'airport', 'airport_id'],
      ['flight', 'to', 'airport', 'airport_id'],
      ['flight', 'airline_id', 'airline', 'airline_id'],
      ['flight', 'airplane_id', 'airplane', 'airplane_id'],
      ['flight', 'flightno', 'flightschedule', 'flightno'],
      ['flightschedule', 'from', 'airport', 'airport_id'],
      ['flightschedule', 'to', 'airport', 'airport_id'],
      ['flightschedule', 'airline_id', 'airline', 'airline_id'],
      ['airline', 'base_airport', 'airport', 'airport_id'],
      ['airport_geo', 'airport_id', 'airport', 'airport_id'],
      ['airplane', 'type_id', 'airplane_type', 'type_id'],
      ['airplane', 'airline_id', 'airline', 'airline_id'],
      ['weatherdata', 'station', 'airport', 'airport_id'],
    ];
    for (const [table, column, parent, key] of orphans) {
      const n = await count(
        `SELECT COUNT(*) FROM ${table} c LEFT JOIN ${parent} p ON p.${key} = c.${id(column)} WHERE p.${key} IS NULL`,
      );
      expect({ link: `${table}.${column} -> ${parent}`, orphans: n }).toEqual({
        link: `${table}.${column} -> ${parent}`,
        orphans: 0,
      });
    }
  });

  it('books every seat at most once, only seats that exist, never over capacity, and leaves seats free', async () => {
    expect(
      await count(
        'SELECT COUNT(*) FROM (SELECT flight_id, seat FROM booking GROUP BY flight_id, seat HAVING COUNT(*) > 1) t',
      ),
    ).toBe(0);
    expect(await count('SELECT COUNT(*) FROM booking WHERE seat IS NULL')).toBe(0);
    const perFlight = await q(
      `SELECT f.flight_id, a.capacity, COUNT(b.booking_id) FROM flight f
         JOIN airplane a ON a.airplane_id = f.airplane_id LEFT JOIN booking b ON b.flight_id = f.flight_id
        GROUP BY f.flight_id, a.capacity`,
    );
    const full = perFlight.filter(([, capacity, booked]) => Number(booked) >= Number(capacity));
    expect(full).toEqual([]);
    const seats = await q(
      `SELECT b.seat, a.capacity FROM booking b JOIN flight f ON f.flight_id = b.flight_id
         JOIN airplane a ON a.airplane_id = f.airplane_id`,
    );
    const missing = seats.filter(([seat, capacity]) => seatIndex(seat, Number(capacity)) === null);
    expect(missing).toEqual([]);
  });

  it('gives passengers unique 9-character passport numbers and prices that vary by route and class', async () => {
    expect(await count('SELECT COUNT(DISTINCT passportno) FROM passenger')).toBe(SCALE_SPECS.tiny.passengers);
    expect(await count('SELECT COUNT(*) FROM passenger WHERE LENGTH(passportno) <> 9')).toBe(0);
    const [[min, max]] = await q('SELECT MIN(price), MAX(price) FROM booking');
    expect(Number(min)).toBeGreaterThan(0);
    expect(Number(max)).toBeGreaterThan(Number(min) * 5);
  });

  it('continues every id sequence after the generated rows', async () => {
    const before = await count('SELECT MAX(passenger_id) FROM passenger');
    const insert =
      engine === 'postgres'
        ? `INSERT INTO passenger (passportno, firstname, lastname) VALUES ('ZZ0000001', 'New', 'Passenger') RETURNING passenger_id`
        : `INSERT INTO passenger (passportno, firstname, lastname) VALUES ('ZZ0000001', 'New', 'Passenger')`;
    await q(insert);
    expect(await count(`SELECT passenger_id FROM passenger WHERE passportno = 'ZZ0000001'`)).toBe(before + 1);
    const flightBefore = await count('SELECT MAX(booking_id) FROM booking');
    await q(`INSERT INTO booking (flight_id, seat, passenger_id, price) VALUES (1, NULL, 1, 10.00)`);
    expect(await count('SELECT MAX(booking_id) FROM booking')).toBe(flightBefore + 1);
  });
});
