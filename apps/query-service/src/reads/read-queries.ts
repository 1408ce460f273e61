import { Dialect } from '@app/platform';
import { ExplainableQuery } from '@app/contracts';

/**
 * Every read's SQL, written once for MySQL/MariaDB and PostgreSQL: reserved words (`from`, `to`) go through
 * Dialect.id(), parameters are `:named` and bound per engine by bind(). Aliases are lower-case snake_case so both
 * drivers return the same column names. Day filters are ranges (`departure >= day AND departure < day + 1`),
 * never DATE(departure) = ..., so the (from, to, departure) index answers them.
 */
export function readQueries(d: Dialect) {
  const from = d.id('from');
  const to = d.id('to');
  return {
    flight: `
      SELECT f.flight_id, f.flightno, f.departure, f.arrival, f.airplane_id,
             al.airline_id, al.iata AS airline_iata, al.airlinename AS airline_name,
             dep.airport_id AS from_id, dep.iata AS from_iata, dep.icao AS from_icao, dep.name AS from_name,
             arr.airport_id AS to_id, arr.iata AS to_iata, arr.icao AS to_icao, arr.name AS to_name,
             ap.capacity, t.identifier AS airplane_type
      FROM flight f
      JOIN airline al ON al.airline_id = f.airline_id
      JOIN airport dep ON dep.airport_id = f.${from}
      JOIN airport arr ON arr.airport_id = f.${to}
      LEFT JOIN airplane ap ON ap.airplane_id = f.airplane_id
      LEFT JOIN airplane_type t ON t.type_id = ap.type_id
      WHERE f.flight_id = :flightId`,

    // booking ⋈ passenger ⟕ passengerdetails, driven from flight so an empty flight still answers (and an
    // unknown one answers no row at all: 404).
    manifest: `
      SELECT f.flight_id, b.seat, b.price, p.passenger_id, p.firstname, p.lastname, p.passportno, pd.country
      FROM flight f
      LEFT JOIN booking b ON b.flight_id = f.flight_id
      LEFT JOIN passenger p ON p.passenger_id = b.passenger_id
      LEFT JOIN passengerdetails pd ON pd.passenger_id = b.passenger_id
      WHERE f.flight_id = :flightId`,

    seats: `
      SELECT ap.capacity, b.booking_id, b.seat
      FROM flight f
      JOIN airplane ap ON ap.airplane_id = f.airplane_id
      LEFT JOIN booking b ON b.flight_id = f.flight_id
      WHERE f.flight_id = :flightId`,

    // Sample first (LIMIT inside the derived table), then count bookings for just those passengers.
    passenger_sample: `
      SELECT s.passenger_id, s.passportno, s.firstname, s.lastname,
             (SELECT COUNT(*) FROM booking b WHERE b.passenger_id = s.passenger_id) AS bookings
      FROM (
        SELECT p.passenger_id, p.passportno, p.firstname, p.lastname
        FROM passenger p
        WHERE EXISTS (SELECT 1 FROM booking b WHERE b.passenger_id = p.passenger_id)
        ORDER BY ${d.random}
        LIMIT :count
      ) s`,

    passenger_by_passport: `
      SELECT passenger_id, passportno, firstname, lastname FROM passenger WHERE passportno = :passportNo`,

    passenger_by_id: `
      SELECT passenger_id, passportno, firstname, lastname FROM passenger WHERE passenger_id = :passengerId`,

    // The original's 8-table join: booking, passenger, flight, airport ×2, airline, airplane, airplane_type.
    passenger_flights: `
      SELECT b.booking_id, b.seat, b.price, f.flight_id, f.flightno, f.departure, f.arrival,
             dep.iata AS from_iata, dep.icao AS from_icao, dep.name AS from_name,
             arr.iata AS to_iata, arr.icao AS to_icao, arr.name AS to_name,
             al.iata AS airline_iata, al.airlinename AS airline_name, t.identifier AS aircraft_type, ap.capacity
      FROM booking b
      JOIN passenger p ON p.passenger_id = b.passenger_id
      JOIN flight f ON f.flight_id = b.flight_id
      JOIN airport dep ON dep.airport_id = f.${from}
      JOIN airport arr ON arr.airport_id = f.${to}
      JOIN airline al ON al.airline_id = f.airline_id
      JOIN airplane ap ON ap.airplane_id = f.airplane_id
      LEFT JOIN airplane_type t ON t.type_id = ap.type_id
      WHERE p.passportno = :passportNo
      ORDER BY f.departure DESC, b.booking_id DESC
      LIMIT 10`,

    passenger_totals: `
      SELECT COUNT(*) AS flights, COALESCE(SUM(b.price), 0) AS spent, COUNT(DISTINCT f.airline_id) AS airlines
      FROM booking b
      JOIN flight f ON f.flight_id = b.flight_id
      WHERE b.passenger_id = :passengerId`,

    // Per route and airline (airport ids, so two airports sharing an IATA code stay apart); airports visited and
    // the airline and airport ids a booking updates the cached profile with come from it.
    passenger_routes: `
      SELECT f.${from} AS from_id, f.${to} AS to_id, f.airline_id,
             COALESCE(dep.iata, dep.icao) AS from_iata, COALESCE(arr.iata, arr.icao) AS to_iata, COUNT(*) AS flights
      FROM booking b
      JOIN flight f ON f.flight_id = b.flight_id
      JOIN airport dep ON dep.airport_id = f.${from}
      JOIN airport arr ON arr.airport_id = f.${to}
      WHERE b.passenger_id = :passengerId
      GROUP BY f.${from}, f.${to}, f.airline_id, COALESCE(dep.iata, dep.icao), COALESCE(arr.iata, arr.icao)`,

    airports_by_country: `
      SELECT a.airport_id, a.iata, a.icao, a.name, g.city, g.country
      FROM airport_geo g
      JOIN airport a ON a.airport_id = g.airport_id
      WHERE g.country = :country
      ORDER BY a.name, a.airport_id
      LIMIT :limit`,

    airport: `
      SELECT a.airport_id, a.iata, a.icao, a.name, g.city, g.country, g.latitude, g.longitude
      FROM airport a
      LEFT JOIN airport_geo g ON g.airport_id = a.airport_id
      WHERE a.iata = :iata
      ORDER BY a.airport_id
      LIMIT 1`,

    /**
     * Flights on a route and day. Each airport is found by the column its code is in (see codeColumn), never by
     * `iata = :c OR icao = :c`: with an OR the planners leave the (from, to, departure) index.
     */
    flight_search: (fromColumn: CodeColumn, toColumn: CodeColumn) => `
      SELECT f.flight_id, f.flightno, f.departure, f.arrival,
             al.iata AS airline_iata, al.airlinename AS airline_name,
             dep.iata AS from_iata, dep.icao AS from_icao, dep.name AS from_name,
             arr.iata AS to_iata, arr.icao AS to_icao, arr.name AS to_name,
             ap.capacity,
             (SELECT COUNT(*) FROM booking b WHERE b.flight_id = f.flight_id) AS booked
      FROM airport dep
      JOIN flight f ON f.${from} = dep.airport_id
      JOIN airport arr ON arr.airport_id = f.${to}
      JOIN airline al ON al.airline_id = f.airline_id
      JOIN airplane ap ON ap.airplane_id = f.airplane_id
      WHERE dep.${fromColumn} = :from AND arr.${toColumn} = :to
        AND f.departure >= :dayStart AND f.departure < :dayEnd
      ORDER BY f.departure, f.flight_id`,

    /** The code an airport is known by (IATA, else ICAO), from its ICAO code. */
    airport_code: `SELECT COALESCE(iata, icao) AS code FROM airport WHERE icao = :icao`,

    /** The BI query over flight and flightschedule; `:hubs` is expanded to one parameter per airport. */
    hub_routes: (hubCount: number) => `
      SELECT dep.iata AS from_iata, dep.icao AS from_icao, dep.name AS from_name,
             arr.iata AS to_iata, arr.icao AS to_icao, arr.name AS to_name,
             COUNT(*) AS flights, COUNT(DISTINCT f.airline_id) AS airlines,
             (SELECT COUNT(*) FROM flightschedule s WHERE s.${from} = f.${from} AND s.${to} = f.${to}) AS scheduled
      FROM airport dep
      JOIN flight f ON f.${from} = dep.airport_id
      JOIN airport arr ON arr.airport_id = f.${to}
      WHERE dep.iata IN (${Array.from({ length: hubCount }, (_, i) => `:hub${i}`).join(', ')})
      GROUP BY f.${from}, f.${to}, dep.iata, dep.icao, dep.name, arr.iata, arr.icao, arr.name
      ORDER BY flights DESC, from_iata, to_iata
      LIMIT :limit`,
  };
}

export type ReadQueries = ReturnType<typeof readQueries>;

type CodeColumn = 'iata' | 'icao';

/** The airport column a code is in: 3 letters are IATA, 4 characters ICAO. */
export function codeColumn(code: string): CodeColumn {
  return code.length === 3 ? 'iata' : 'icao';
}

/** Representative parameters for GET /api/queries/:name/explain (the plan's shape does not depend on them). */
export const EXPLAIN_SAMPLES: Record<
  ExplainableQuery,
  { sql: (q: ReadQueries) => string; params: Record<string, unknown> }
> = {
  flight: { sql: (q) => q.flight, params: { flightId: 115 } },
  manifest: { sql: (q) => q.manifest, params: { flightId: 115 } },
  seats: { sql: (q) => q.seats, params: { flightId: 115 } },
  passenger_flights: { sql: (q) => q.passenger_flights, params: { passportNo: 'P10000001' } },
  passenger_profile: { sql: (q) => q.passenger_routes, params: { passengerId: 1000 } },
  passenger_sample: { sql: (q) => q.passenger_sample, params: { count: 10 } },
  airports_by_country: { sql: (q) => q.airports_by_country, params: { country: 'Germany', limit: 10 } },
  airport: { sql: (q) => q.airport, params: { iata: 'JFK' } },
  flight_search: {
    sql: (q) => q.flight_search('iata', 'iata'),
    params: { from: 'JFK', to: 'LAX', dayStart: '2024-12-15 00:00:00', dayEnd: '2024-12-16 00:00:00' },
  },
  hub_routes: {
    sql: (q) => q.hub_routes(5),
    params: { hub0: 'ATL', hub1: 'ORD', hub2: 'JFK', hub3: 'LAX', hub4: 'DFW', limit: 20 },
  },
};
