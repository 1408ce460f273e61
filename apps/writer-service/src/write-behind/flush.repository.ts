import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect } from '@app/platform';
import { dbErrorKind, sqlTimestamp } from '@app/platform';
import { trim } from '../bookings/bookings.repository';
import { insertRows, rowsByReference, sqlParams } from './sql-rows';

/** A write-behind booking as the stream carries it. */
export interface StreamBooking {
  streamId: string;
  reference: string;
  flightId: number;
  passengerId: number;
  seat: string;
  seatIndex: number;
  price: string;
  passportNo: string;
  fromIata: string;
  toIata: string;
  departureDate: string;
  acceptedAt: string;
}

export type FlushOutcome =
  | { booking: StreamBooking; persisted: true; bookingId: number }
  | { booking: StreamBooking; persisted: false; reason: string };

const seatKey = (flightId: number, seat: string) => `${flightId}:${seat}`;

/**
 * Persists a batch of write-behind bookings with one multi-row insert, idempotently: a reference already in
 * booking_reference (a batch replayed after a flusher died between commit and acknowledgement) is reported as
 * persisted and not inserted again. A booking whose seat the database already has is refused, with the reason.
 * Throws only when the database is unavailable (the caller retries the same batch later).
 */
@Injectable()
export class FlushRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly dialect: Dialect,
  ) {}

  async persistBatch(batch: StreamBooking[]): Promise<FlushOutcome[]> {
    if (batch.length === 0) return [];
    try {
      return await this.ds.transaction((m) => this.persistTogether(m, batch));
    } catch (e) {
      if (dbErrorKind(e) === 'unavailable') throw e;
      // A row the database refuses fails the whole multi-row insert (a write-through insert raced the seat
      // check, or a passenger was deleted): settle each booking on its own to find which.
      return this.persistOneByOne(batch);
    }
  }

  private async persistTogether(m: EntityManager, batch: StreamBooking[]): Promise<FlushOutcome[]> {
    const outcomes = new Map<string, FlushOutcome>();
    // Seats first, references second. Each statement may see a newer snapshot (PostgreSQL's READ COMMITTED), and
    // another flusher holding the same entries may commit between the two: a seat seen taken then has its
    // reference seen too, so this booking's own row counts as persisted, never as a seat taken by someone else.
    const claimed = await this.seatsInDatabase(m, batch);
    const known = await this.existingReferences(
      m,
      batch.map((b) => b.reference),
    );
    const fresh: StreamBooking[] = [];
    for (const b of batch) {
      const bookingId = known.get(b.reference);
      if (bookingId !== undefined) outcomes.set(b.reference, { booking: b, persisted: true, bookingId });
      else fresh.push(b);
    }
    const insertable: StreamBooking[] = [];
    for (const b of fresh) {
      const k = seatKey(b.flightId, b.seat);
      if (claimed.has(k)) {
        outcomes.set(b.reference, { booking: b, persisted: false, reason: seatTakenReason(b) });
      } else {
        claimed.add(k);
        insertable.push(b);
      }
    }
    if (insertable.length > 0) {
      const ids = await this.insertBookings(m, insertable);
      const now = sqlTimestamp(new Date());
      await this.insertRows(
        m,
        'booking_reference (reference, booking_id, accepted_at, persisted_at)',
        insertable.map((b) => [
          b.reference,
          ids.get(seatKey(b.flightId, b.seat)),
          sqlTimestamp(new Date(b.acceptedAt)),
          now,
        ]),
      );
      for (const b of insertable) {
        outcomes.set(b.reference, {
          booking: b,
          persisted: true,
          bookingId: ids.get(seatKey(b.flightId, b.seat))!,
        });
      }
    }
    return batch.map((b) => outcomes.get(b.reference)!);
  }

  private async persistOneByOne(batch: StreamBooking[]): Promise<FlushOutcome[]> {
    const outcomes: FlushOutcome[] = [];
    for (const b of batch) {
      try {
        outcomes.push(...(await this.ds.transaction((m) => this.persistTogether(m, [b]))));
      } catch (e) {
        const kind = dbErrorKind(e);
        if (kind === 'unavailable') throw e;
        // The seat's row may be this very booking, committed meanwhile by another flusher that claimed the same
        // entry (a claim that outlived WRITE_BEHIND_CLAIM_IDLE_MS): then it is persisted, not refused.
        if (kind === 'unique') {
          const bookingId = (await this.existingReferences(this.ds.manager, [b.reference])).get(b.reference);
          if (bookingId !== undefined) {
            outcomes.push({ booking: b, persisted: true, bookingId });
            continue;
          }
        }
        const reason =
          kind === 'unique'
            ? seatTakenReason(b)
            : `the database refused the booking: ${(e as Error).message}`;
        outcomes.push({ booking: b, persisted: false, reason });
      }
    }
    return outcomes;
  }

  private async existingReferences(m: EntityManager, references: string[]): Promise<Map<string, number>> {
    const rows = await rowsByReference<{ reference: string; booking_id: number }>(
      m,
      this.dialect,
      'booking_reference',
      ['reference', 'booking_id'],
      references,
    );
    return new Map(rows.map((r) => [trim(r.reference), Number(r.booking_id)]));
  }

  /** "flightId:seat" of the batch's seats the database already has. */
  private async seatsInDatabase(m: EntityManager, batch: StreamBooking[]): Promise<Set<string>> {
    if (batch.length === 0) return new Set();
    const rows = await this.bookedAmong(m, batch);
    return new Set(rows.map((r) => seatKey(r.flightId, r.seat)));
  }

  /** Bookings on the batch's flights and seats (a superset of the batch's pairs; the unique index answers it). */
  private async bookedAmong(
    m: EntityManager,
    batch: StreamBooking[],
  ): Promise<Array<{ bookingId: number; flightId: number; seat: string }>> {
    const p = this.params();
    const flights = p.list([...new Set(batch.map((b) => b.flightId))]);
    const seats = p.list([...new Set(batch.map((b) => b.seat))]);
    const rows: Array<{ booking_id: number; flight_id: number; seat: string }> = await m.query(
      `SELECT booking_id, flight_id, seat FROM booking WHERE flight_id IN (${flights}) AND seat IN (${seats})`,
      p.values,
    );
    return rows.map((r) => ({
      bookingId: Number(r.booking_id),
      flightId: Number(r.flight_id),
      seat: trim(r.seat),
    }));
  }

  /** One multi-row insert; returns booking ids by "flightId:seat" (unique, so it identifies our rows). */
  private async insertBookings(m: EntityManager, batch: StreamBooking[]): Promise<Map<string, number>> {
    const rows = batch.map((b) => [b.flightId, b.seat, b.passengerId, b.price]);
    const table = 'booking (flight_id, seat, passenger_id, price)';
    if (this.dialect.isPostgres) {
      const inserted: Array<{ booking_id: number; flight_id: number; seat: string }> = await this.insertRows(
        m,
        table,
        rows,
        ' RETURNING booking_id, flight_id, seat',
      );
      return new Map(inserted.map((r) => [seatKey(Number(r.flight_id), trim(r.seat)), Number(r.booking_id)]));
    }
    await this.insertRows(m, table, rows);
    // No RETURNING on MySQL, and auto-increment ids of one insert need not be consecutive (lock mode 2): the
    // batch's seats were free and are unique per flight, so the rows holding them now are ours.
    const ours = new Set(batch.map((b) => seatKey(b.flightId, b.seat)));
    const found = (await this.bookedAmong(m, batch)).filter((r) => ours.has(seatKey(r.flightId, r.seat)));
    return new Map(found.map((r) => [seatKey(r.flightId, r.seat), r.bookingId]));
  }

  private insertRows<T = unknown>(
    m: EntityManager,
    table: string,
    rows: unknown[][],
    suffix = '',
  ): Promise<T> {
    return insertRows<T>(m, this.dialect, table, rows, suffix);
  }

  private params() {
    return sqlParams(this.dialect);
  }
}

function seatTakenReason(b: StreamBooking): string {
  return `seat ${b.seat} on flight ${b.flightId} was booked by someone else before this booking reached the database`;
}
