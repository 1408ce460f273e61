import { Injectable } from '@nestjs/common';
import { Dialect, ReadReplicas, bind } from '@app/platform';
import {
  AirportDetails,
  AirportSummary,
  ExplainableQuery,
  FlightDetails,
  FlightOffer,
  HubRoute,
  ManifestEntry,
  PassengerFlight,
  PassengerRef,
  PassengerSampleEntry,
  QueryPlan,
} from '@app/contracts';
import { EXPLAIN_SAMPLES, ReadQueries, codeColumn, readQueries } from './read-queries';

type Row = Record<string, unknown>;

/** What the seat cache is built from: the aircraft's capacity and the seats booked on the flight. */
export interface SeatRows {
  capacity: number;
  seats: (string | null)[];
}

/** Totals and per-route counts of a passenger's bookings (the profile hash and sorted set are built from it). */
export interface ProfileRows {
  passenger: PassengerRef;
  totalFlights: number;
  totalSpent: number;
  airlinesUsed: number;
  airportsVisited: number;
  routes: { route: string; flights: number }[];
  /** Ids of the airlines flown and airports visited (what a booking updates the cached profile with). */
  airlineIds: number[];
  airportIds: number[];
}

/**
 * The read path's database access: one method per query, returning API-shaped values, or null for "no such
 * thing" (the cache layer negative-caches it and the service answers 404). Status (completed/in progress/
 * upcoming) is not decided here: it depends on the moment of the answer, not of the load.
 */
@Injectable()
export class ReadsRepository {
  private readonly sql: ReadQueries;
  /** Database round trips per query name, in this process: lets tests count loads without mocking. */
  readonly loads = new Map<string, number>();
  /** ICAO code -> the code the airport is known by; bounded by the airport table. */
  private readonly knownCodes = new Map<string, string>();

  constructor(
    // Every query of the read path: a replica that has caught up with the primary, else the primary.
    private readonly replicas: ReadReplicas,
    private readonly dialect: Dialect,
  ) {
    this.sql = readQueries(dialect);
  }

  async flight(flightId: number): Promise<Omit<FlightDetails, 'status'> | null> {
    const [r] = await this.run('flight', this.sql.flight, { flightId });
    if (!r) return null;
    return {
      ...flightTimes(r),
      airline: { airlineId: num(r.airline_id), iata: str(r.airline_iata), name: strOrNull(r.airline_name) },
      from: {
        airportId: num(r.from_id),
        iata: strOrNull(r.from_iata),
        icao: str(r.from_icao),
        name: str(r.from_name),
      },
      to: { airportId: num(r.to_id), iata: strOrNull(r.to_iata), icao: str(r.to_icao), name: str(r.to_name) },
      airplane: {
        airplaneId: num(r.airplane_id),
        type: strOrNull(r.airplane_type),
        capacity: num(r.capacity),
      },
    };
  }

  async manifest(flightId: number): Promise<ManifestEntry[] | null> {
    const rows = await this.run('manifest', this.sql.manifest, { flightId });
    if (rows.length === 0) return null;
    return rows
      .filter((r) => r.passenger_id !== null)
      .map((r) => ({
        seat: strOrNull(r.seat),
        passengerId: num(r.passenger_id),
        firstname: str(r.firstname),
        lastname: str(r.lastname),
        passportNo: str(r.passportno),
        country: strOrNull(r.country),
        price: money(r.price),
      }))
      .sort((a, b) => compareSeats(a.seat, b.seat));
  }

  async seats(flightId: number): Promise<SeatRows | null> {
    const rows = await this.run('seats', this.sql.seats, { flightId });
    if (rows.length === 0) return null;
    return {
      capacity: num(rows[0].capacity),
      // A LEFT JOIN row with no booking has seat null and is not a booking; a booking without a seat number
      // still takes a place (it counts as booked but has no bit in the seat map).
      seats: rows.filter((r) => r.booking_id !== null).map((r) => strOrNull(r.seat)),
    };
  }

  async passengerSample(count: number): Promise<PassengerSampleEntry[]> {
    const rows = await this.run('passenger_sample', this.sql.passenger_sample, { count });
    return rows.map((r) => {
      const entry = {
        passengerId: num(r.passenger_id),
        passportNo: str(r.passportno),
        firstname: str(r.firstname),
        lastname: str(r.lastname),
        bookings: num(r.bookings),
      };
      return {
        ...entry,
        label: `${entry.firstname} ${entry.lastname} (${entry.passportNo}) - ${entry.bookings} bookings`,
      };
    });
  }

  async passengerByPassport(passportNo: string): Promise<PassengerRef | null> {
    const [r] = await this.run('passenger_by_passport', this.sql.passenger_by_passport, { passportNo });
    return r ? passengerRef(r) : null;
  }

  async passengerById(passengerId: number): Promise<PassengerRef | null> {
    const [r] = await this.run('passenger_by_id', this.sql.passenger_by_id, { passengerId });
    return r ? passengerRef(r) : null;
  }

  async passengerFlights(passportNo: string): Promise<Omit<PassengerFlight, 'status'>[]> {
    const rows = await this.run('passenger_flights', this.sql.passenger_flights, { passportNo });
    return rows.map((r) => ({
      bookingId: num(r.booking_id),
      flightId: num(r.flight_id),
      flightno: str(r.flightno),
      departure: iso(r.departure),
      arrival: iso(r.arrival),
      ...routeEnds(r),
      airline: { iata: str(r.airline_iata), name: strOrNull(r.airline_name) },
      aircraft: { type: strOrNull(r.aircraft_type), capacity: num(r.capacity) },
      seat: strOrNull(r.seat),
      price: money(r.price),
    }));
  }

  async passengerProfile(passengerId: number): Promise<ProfileRows | null> {
    const passenger = await this.passengerById(passengerId);
    if (!passenger) return null;
    const [[totals], routes] = await Promise.all([
      this.run('passenger_totals', this.sql.passenger_totals, { passengerId }),
      this.run('passenger_routes', this.sql.passenger_routes, { passengerId }),
    ]);
    const airports = new Set<number>();
    const airlines = new Set<number>();
    // One row per route and airline: summed per route (airport ids, as the query groups them).
    const flightsByRoute = new Map<string, { route: string; flights: number }>();
    for (const r of routes) {
      airports.add(num(r.from_id)).add(num(r.to_id));
      airlines.add(num(r.airline_id));
      const id = `${num(r.from_id)}-${num(r.to_id)}`;
      // IATA code, or ICAO for the airports that have none (the query coalesces them).
      const route = flightsByRoute.get(id) ?? { route: `${r.from_iata}-${r.to_iata}`, flights: 0 };
      route.flights += num(r.flights);
      flightsByRoute.set(id, route);
    }
    return {
      passenger,
      totalFlights: num(totals.flights),
      totalSpent: money(totals.spent),
      airlinesUsed: num(totals.airlines),
      airportsVisited: airports.size,
      routes: [...flightsByRoute.values()],
      airlineIds: [...airlines],
      airportIds: [...airports],
    };
  }

  async airportsByCountry(country: string, limit: number): Promise<AirportSummary[]> {
    const rows = await this.run('airports_by_country', this.sql.airports_by_country, { country, limit });
    return rows.map(airportSummary);
  }

  async airport(iata: string): Promise<AirportDetails | null> {
    const [r] = await this.run('airport', this.sql.airport, { iata });
    if (!r) return null;
    return { ...airportSummary(r), latitude: numOrNull(r.latitude), longitude: numOrNull(r.longitude) };
  }

  /**
   * The code an airport is known by (IATA, else ICAO), given either: a search by KJFK is the search by JFK (one
   * cache entry, the route tag the writer drops). Codes never change here, so found ones are remembered.
   */
  async knownAirportCode(code: string): Promise<string> {
    if (code.length === 3) return code;
    const remembered = this.knownCodes.get(code);
    if (remembered) return remembered;
    const [r] = await this.run('airport_code', this.sql.airport_code, { icao: code });
    if (!r) return code; // unknown: the search finds nothing (and an unknown code is not remembered)
    const known = str(r.code);
    this.knownCodes.set(code, known);
    return known;
  }

  /** Flights on a route departing within the UTC day `date` (YYYY-MM-DD). */
  async flightSearch(from: string, to: string, date: string): Promise<FlightOffer[]> {
    const sql = this.sql.flight_search(codeColumn(from), codeColumn(to));
    const rows = await this.run('flight_search', sql, { from, to, ...dayRange(date) });
    return rows.map((r) => {
      const capacity = num(r.capacity);
      const booked = num(r.booked);
      return {
        ...flightTimes(r),
        airline: { iata: str(r.airline_iata), name: strOrNull(r.airline_name) },
        ...routeEnds(r),
        capacity,
        bookedSeats: booked,
        freeSeats: Math.max(0, capacity - booked),
      };
    });
  }

  async hubRoutes(airports: string[], limit: number): Promise<HubRoute[]> {
    const params: Record<string, unknown> = { limit };
    airports.forEach((iata, i) => (params[`hub${i}`] = iata));
    const rows = await this.run('hub_routes', this.sql.hub_routes(airports.length), params);
    return rows.map((r) => ({
      ...routeEnds(r),
      flights: num(r.flights),
      airlines: num(r.airlines),
      scheduled: num(r.scheduled),
    }));
  }

  /** The engine's plan for a named query, with representative parameters. */
  async explain(name: ExplainableQuery): Promise<QueryPlan> {
    const sample = EXPLAIN_SAMPLES[name];
    const [sql, params] = bind(this.dialect, sample.sql(this.sql), sample.params);
    const rows: Row[] = await this.replicas.query(`${this.dialect.explain} ${sql}`, params);
    // MySQL/MariaDB answer one row with a JSON string; PostgreSQL one row whose "QUERY PLAN" is already parsed.
    const first = rows[0] ?? {};
    const raw = first['QUERY PLAN'] ?? first.EXPLAIN ?? Object.values(first)[0];
    const plan = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
    return { name, engine: this.dialect.engine, sql: sql.replace(/\s+/g, ' ').trim(), params, plan };
  }

  private async run(name: string, sqlText: string, named: Record<string, unknown>): Promise<Row[]> {
    this.loads.set(name, (this.loads.get(name) ?? 0) + 1);
    const [text, params] = bind(this.dialect, sqlText, named);
    return this.replicas.query(text, params);
  }
}

// --- row mapping: both drivers return numbers as strings for DECIMAL and (PostgreSQL) for COUNT/BIGINT -----------

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
function money(v: unknown): number {
  return Math.round(Number(v) * 100) / 100;
}
function str(v: unknown): string {
  return typeof v === 'string' ? v.trimEnd() : String(v);
}
function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : str(v);
}
function iso(v: unknown): string {
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}
function minutesBetween(a: unknown, b: unknown): number {
  return Math.round((new Date(iso(b)).getTime() - new Date(iso(a)).getTime()) / 60000);
}

/** The columns every flight-shaped row has: id, number and times. */
function flightTimes(
  r: Row,
): Pick<FlightOffer, 'flightId' | 'flightno' | 'departure' | 'arrival' | 'durationMinutes'> {
  return {
    flightId: num(r.flight_id),
    flightno: str(r.flightno),
    departure: iso(r.departure),
    arrival: iso(r.arrival),
    durationMinutes: minutesBetween(r.departure, r.arrival),
  };
}

/** A route's two airports from the from_iata/from_icao/from_name and to_... columns. */
function routeEnds(r: Row): Pick<FlightOffer, 'from' | 'to'> {
  return {
    from: { iata: strOrNull(r.from_iata), icao: str(r.from_icao), name: str(r.from_name) },
    to: { iata: strOrNull(r.to_iata), icao: str(r.to_icao), name: str(r.to_name) },
  };
}

function passengerRef(r: Row): PassengerRef {
  return {
    passengerId: num(r.passenger_id),
    passportNo: str(r.passportno),
    firstname: str(r.firstname),
    lastname: str(r.lastname),
  };
}

function airportSummary(r: Row): AirportSummary {
  return {
    airportId: num(r.airport_id),
    iata: strOrNull(r.iata),
    icao: str(r.icao),
    name: str(r.name),
    city: strOrNull(r.city),
    country: strOrNull(r.country),
  };
}

/** `[day 00:00, next day 00:00)` as timestamp literals both engines read as UTC wall time. */
export function dayRange(date: string): { dayStart: string; dayEnd: string } {
  const start = new Date(`${date}T00:00:00Z`);
  const end = new Date(start.getTime() + 24 * 3600 * 1000);
  const fmt = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  return { dayStart: fmt(start), dayEnd: fmt(end) };
}

/** Seat order as on the aircraft: row number, then letter ("2A" before "10A"); seatless bookings last. */
function compareSeats(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const rowDiff = parseInt(a, 10) - parseInt(b, 10);
  return rowDiff !== 0 ? rowDiff : a.localeCompare(b);
}
