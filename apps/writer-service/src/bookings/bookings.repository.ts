import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect, bind } from '@app/platform';
import { seatIndex } from '@app/contracts';

type Row = Record<string, unknown>;

/** What a booking needs to know about a flight (cached as WriteKeys.bookingFlightFacts). */
export interface FlightFacts {
  flightId: number;
  capacity: number;
  /** Airport codes: IATA, or ICAO for an airport that has none (events, tags and leaderboards use them). */
  fromIata: string;
  toIata: string;
  /** ISO departure (UTC). */
  departure: string;
  /** What a booking adds to a cached passenger profile (absent from facts cached by an older version). */
  airlineId?: number;
  fromAirportId?: number;
  toAirportId?: number;
}

export interface NewBooking {
  flightId: number;
  seat: string;
  passengerId: number;
  price: string;
}

/** A booking as the cancellation needs it: enough to free the seat and tell everyone who cares. */
export interface BookingForCancel {
  bookingId: number;
  flightId: number;
  passengerId: number;
  passportNo: string;
  seat: string | null;
  capacity: number;
  fromIata: string;
  toIata: string;
  departure: string;
  reference: string | null;
}

export interface PersistedReference {
  reference: string;
  bookingId: number;
  flightId: number;
  passengerId: number;
  seat: string | null;
  price: string;
  acceptedAt: string;
  persistedAt: string;
}

/** The write path's SQL, written once for both engines (reserved words through Dialect.id, `:named` parameters). */
@Injectable()
export class BookingsRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly dialect: Dialect,
  ) {}

  async flightFacts(flightId: number): Promise<FlightFacts | null> {
    const d = this.dialect;
    const [r] = await this.run(
      `SELECT f.flight_id, ap.capacity, COALESCE(dep.iata, dep.icao) AS from_iata, COALESCE(arr.iata, arr.icao) AS to_iata, f.departure,
              f.airline_id, dep.airport_id AS from_id, arr.airport_id AS to_id
       FROM flight f
       JOIN airplane ap ON ap.airplane_id = f.airplane_id
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       WHERE f.flight_id = :flightId`,
      { flightId },
    );
    if (!r) return null;
    return {
      flightId,
      capacity: Number(r.capacity),
      fromIata: trim(r.from_iata),
      toIata: trim(r.to_iata),
      departure: iso(r.departure),
      airlineId: Number(r.airline_id),
      fromAirportId: Number(r.from_id),
      toAirportId: Number(r.to_id),
    };
  }

  async passportOf(passengerId: number): Promise<string | null> {
    const [r] = await this.run(`SELECT passportno FROM passenger WHERE passenger_id = :passengerId`, {
      passengerId,
    });
    return r ? trim(r.passportno) : null;
  }

  /** Seat indexes booked in the database, and the number of bookings (seatless or off-layout ones count too). */
  async bookedSeatIndexes(
    flightId: number,
    capacity: number,
  ): Promise<{ indexes: number[]; bookings: number }> {
    const rows = await this.run(`SELECT seat FROM booking WHERE flight_id = :flightId`, { flightId });
    const indexes: number[] = [];
    for (const r of rows) {
      const i = r.seat === null ? null : seatIndex(trim(r.seat), capacity);
      if (i !== null) indexes.push(i);
    }
    return { indexes, bookings: rows.length };
  }

  /** Inserts one booking (inside the caller's transaction) and returns its id. */
  async insertBooking(m: EntityManager, b: NewBooking): Promise<number> {
    const sql = `INSERT INTO booking (flight_id, seat, passenger_id, price) VALUES (:flightId, :seat, :passengerId, :price)`;
    if (this.dialect.isPostgres) {
      const [r] = await this.run(`${sql} RETURNING booking_id`, { ...b }, m);
      return Number(r.booking_id);
    }
    const result = (await this.run(sql, { ...b }, m)) as unknown as { insertId: number };
    return Number(result.insertId);
  }

  /** Locks the booking row for the cancellation's transaction. */
  async findForCancel(m: EntityManager, bookingId: number): Promise<BookingForCancel | null> {
    const d = this.dialect;
    const [r] = await this.run(
      `SELECT b.booking_id, b.flight_id, b.passenger_id, b.seat, p.passportno, ap.capacity,
              COALESCE(dep.iata, dep.icao) AS from_iata, COALESCE(arr.iata, arr.icao) AS to_iata, f.departure, br.reference
       FROM booking b
       JOIN passenger p ON p.passenger_id = b.passenger_id
       JOIN flight f ON f.flight_id = b.flight_id
       JOIN airplane ap ON ap.airplane_id = f.airplane_id
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       LEFT JOIN booking_reference br ON br.booking_id = b.booking_id
       WHERE b.booking_id = :bookingId
       FOR UPDATE${d.isPostgres ? ' OF b' : ''}`,
      { bookingId },
      m,
    );
    if (!r) return null;
    return {
      bookingId,
      flightId: Number(r.flight_id),
      passengerId: Number(r.passenger_id),
      passportNo: trim(r.passportno),
      seat: r.seat === null ? null : trim(r.seat),
      capacity: Number(r.capacity),
      fromIata: trim(r.from_iata),
      toIata: trim(r.to_iata),
      departure: iso(r.departure),
      reference: r.reference === null || r.reference === undefined ? null : trim(r.reference),
    };
  }

  async deleteBooking(m: EntityManager, bookingId: number): Promise<void> {
    // The reference row goes with it (ON DELETE CASCADE).
    await this.run(`DELETE FROM booking WHERE booking_id = :bookingId`, { bookingId }, m);
  }

  /** A write-behind booking that was persisted (the answer once its status has left Valkey). */
  async persistedReference(reference: string): Promise<PersistedReference | null> {
    const [r] = await this.run(
      `SELECT br.reference, br.booking_id, br.accepted_at, br.persisted_at, b.flight_id, b.passenger_id, b.seat, b.price
       FROM booking_reference br JOIN booking b ON b.booking_id = br.booking_id
       WHERE br.reference = :reference`,
      { reference },
    );
    if (!r) return null;
    return {
      reference,
      bookingId: Number(r.booking_id),
      flightId: Number(r.flight_id),
      passengerId: Number(r.passenger_id),
      seat: r.seat === null ? null : trim(r.seat),
      price: String(r.price),
      acceptedAt: iso(r.accepted_at),
      persistedAt: iso(r.persisted_at),
    };
  }

  async transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  private run(sql: string, named: Record<string, unknown>, m?: EntityManager): Promise<Row[]> {
    const [text, params] = bind(this.dialect, sql, named);
    return (m ?? this.ds).query(text, params);
  }
}

export function trim(v: unknown): string {
  return String(v).trimEnd();
}

export function iso(v: unknown): string {
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}
