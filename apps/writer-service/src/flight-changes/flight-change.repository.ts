import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect, dbErrorKind, sqlTimestamp } from '@app/platform';
import { iso, trim } from '../bookings/bookings.repository';
import { insertRows, rowsByReference, sqlParams } from '../write-behind/sql-rows';

/** A write-behind flight change as the stream carries it. */
export interface StreamFlightChange {
  streamId: string;
  reference: string;
  flightId: number;
  seq: number;
  departure: string;
  arrival: string;
  comment: string | null;
  acceptedAt: string;
}

export type FlightChangeOutcome =
  | { change: StreamFlightChange; persisted: true }
  | { change: StreamFlightChange; persisted: false; reason: string };

/** A flight the batch moved: what the cache and the events need to know about it. */
export interface MovedFlight {
  flightId: number;
  fromCode: string;
  toCode: string;
  /** Departure days (UTC) before and after the batch: searches and leaderboards of both go stale. */
  days: string[];
  /** The highest seq of the flight's changes in the batch. */
  seq: number;
  /** The last change of the flight in the batch (its acceptance time versions the event). */
  lastAcceptedAt: string;
}

export interface FlightChangeBatchResult {
  outcomes: FlightChangeOutcome[];
  /** UPDATE statements run on the flight table: one per flight whose times changed, however many changes. */
  updates: number;
  flights: MovedFlight[];
}

interface FlightRow {
  flightId: number;
  flightno: string;
  fromId: number;
  toId: number;
  fromCode: string;
  toCode: string;
  departure: string;
  arrival: string;
  airlineId: number;
  airplaneId: number;
}

/** Who the flight_log says made the change. */
const LOG_USER = 'writer-service (write-behind)';

/**
 * Applies a batch of write-behind flight changes in one transaction, idempotently and in order:
 * - a reference already in flight_change (a batch replayed after a flusher died before acknowledging) is not
 *   applied again;
 * - each flight's changes are taken in their seq order (given when they were accepted); every one gets its
 *   flight_log row (old and new times, chained), and the flight gets ONE UPDATE with the last one: the write
 *   coalescing that write-behind is for;
 * - a change older than one the database already has (it reached the database late) is logged but does not undo
 *   the newer times.
 * Throws only when the database is unavailable (the caller retries the same batch).
 */
@Injectable()
export class FlightChangeRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly dialect: Dialect,
  ) {}

  async applyBatch(batch: StreamFlightChange[]): Promise<FlightChangeBatchResult> {
    if (batch.length === 0) return { outcomes: [], updates: 0, flights: [] };
    try {
      return await this.ds.transaction((m) => this.apply(m, batch));
    } catch (e) {
      if (dbErrorKind(e) === 'unavailable') throw e;
      // One change the database refuses fails the whole batch: settle each flight's changes on their own.
      const byFlight = groupBy(batch, (c) => c.flightId);
      const results: FlightChangeBatchResult[] = [];
      for (const changes of byFlight.values()) {
        try {
          results.push(await this.ds.transaction((m) => this.apply(m, changes)));
        } catch (err) {
          if (dbErrorKind(err) === 'unavailable') throw err;
          const reason = `the database refused the change: ${(err as Error).message}`;
          results.push({
            outcomes: changes.map((change) => ({ change, persisted: false, reason })),
            updates: 0,
            flights: [],
          });
        }
      }
      return {
        outcomes: results.flatMap((r) => r.outcomes),
        updates: results.reduce((n, r) => n + r.updates, 0),
        flights: results.flatMap((r) => r.flights),
      };
    }
  }

  /** A persisted change, for its status once the status has left Valkey. */
  async persisted(
    reference: string,
  ): Promise<{ flightId: number; seq: number; acceptedAt: string; persistedAt: string } | null> {
    const p = this.params();
    const [r] = (await this.ds.query(
      `SELECT flight_id, seq, accepted_at, persisted_at FROM flight_change WHERE reference = ${p.list([reference])}`,
      p.values,
    )) as Array<Record<string, unknown>>;
    if (!r) return null;
    return {
      flightId: Number(r.flight_id),
      seq: Number(r.seq),
      acceptedAt: iso(r.accepted_at),
      persistedAt: iso(r.persisted_at),
    };
  }

  private async apply(m: EntityManager, batch: StreamFlightChange[]): Promise<FlightChangeBatchResult> {
    const outcomes = new Map<string, FlightChangeOutcome>();
    const known = await this.knownReferences(
      m,
      batch.map((c) => c.reference),
    );
    const fresh = batch.filter((c) => {
      if (!known.has(c.reference)) return true;
      outcomes.set(c.reference, { change: c, persisted: true });
      return false;
    });
    const byFlight = groupBy(fresh, (c) => c.flightId);
    const flightIds = [...byFlight.keys()];
    const rows = await this.lockFlights(m, flightIds);
    const applied = await this.appliedSeqs(m, flightIds);
    const logs: unknown[][] = [];
    const done: unknown[][] = [];
    const flights: MovedFlight[] = [];
    const now = sqlTimestamp(new Date());
    let updates = 0;
    for (const [flightId, changes] of byFlight) {
      const row = rows.get(flightId);
      if (!row) {
        for (const c of changes)
          outcomes.set(c.reference, {
            change: c,
            persisted: false,
            reason: `flight ${flightId} no longer exists`,
          });
        continue;
      }
      changes.sort((a, b) => a.seq - b.seq);
      let current = { departure: row.departure, arrival: row.arrival };
      const highestApplied = applied.get(flightId) ?? 0;
      for (const c of changes) {
        logs.push(this.logRow(row, current, c, now));
        // An older change than one the database has (it arrived late) is logged, but the times stay newer.
        if (c.seq > highestApplied) current = { departure: c.departure, arrival: c.arrival };
        done.push([c.reference, flightId, c.seq, sqlTimestamp(new Date(c.acceptedAt)), now]);
        outcomes.set(c.reference, { change: c, persisted: true });
      }
      if (current.departure !== row.departure || current.arrival !== row.arrival) {
        await this.update(m, flightId, current.departure, current.arrival);
        updates++;
      }
      const last = changes[changes.length - 1];
      flights.push({
        flightId,
        fromCode: row.fromCode,
        toCode: row.toCode,
        days: [...new Set([row.departure.slice(0, 10), current.departure.slice(0, 10)])],
        seq: last.seq,
        lastAcceptedAt: last.acceptedAt,
      });
    }
    await this.insertRows(
      m,
      `flight_log (log_date, ${this.dialect.id('user')}, flight_id, flightno_old, flightno_new, from_old, to_old,
         from_new, to_new, departure_old, arrival_old, departure_new, arrival_new, airplane_id_old, airplane_id_new,
         airline_id_old, airline_id_new, comment)`,
      logs,
    );
    await this.insertRows(m, 'flight_change (reference, flight_id, seq, accepted_at, persisted_at)', done);
    return { outcomes: batch.map((c) => outcomes.get(c.reference)!), updates, flights };
  }

  private logRow(
    row: FlightRow,
    old: { departure: string; arrival: string },
    c: StreamFlightChange,
    now: string,
  ): unknown[] {
    return [
      now,
      LOG_USER,
      row.flightId,
      row.flightno,
      row.flightno,
      row.fromId,
      row.toId,
      row.fromId,
      row.toId,
      sqlTimestamp(new Date(old.departure)),
      sqlTimestamp(new Date(old.arrival)),
      sqlTimestamp(new Date(c.departure)),
      sqlTimestamp(new Date(c.arrival)),
      row.airplaneId,
      row.airplaneId,
      row.airlineId,
      row.airlineId,
      c.comment,
    ];
  }

  private async knownReferences(m: EntityManager, references: string[]): Promise<Set<string>> {
    const rows = await rowsByReference<{ reference: string }>(
      m,
      this.dialect,
      'flight_change',
      ['reference'],
      references,
    );
    return new Set(rows.map((r) => trim(r.reference)));
  }

  /** The batch's flights, locked for the transaction (another flusher's batch on them waits). */
  private async lockFlights(m: EntityManager, flightIds: number[]): Promise<Map<number, FlightRow>> {
    if (flightIds.length === 0) return new Map();
    const d = this.dialect;
    const p = this.params();
    const rows: Array<Record<string, unknown>> = await m.query(
      `SELECT f.flight_id, f.flightno, f.${d.id('from')} AS from_id, f.${d.id('to')} AS to_id, f.departure,
              f.arrival, f.airline_id, f.airplane_id,
              COALESCE(dep.iata, dep.icao) AS from_code, COALESCE(arr.iata, arr.icao) AS to_code
       FROM flight f
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       WHERE f.flight_id IN (${p.list(flightIds)})
       ORDER BY f.flight_id
       FOR UPDATE${d.isPostgres ? ' OF f' : ''}`,
      p.values,
    );
    return new Map(
      rows.map((r) => [
        Number(r.flight_id),
        {
          flightId: Number(r.flight_id),
          flightno: trim(r.flightno),
          fromId: Number(r.from_id),
          toId: Number(r.to_id),
          fromCode: trim(r.from_code),
          toCode: trim(r.to_code),
          departure: iso(r.departure),
          arrival: iso(r.arrival),
          airlineId: Number(r.airline_id),
          airplaneId: Number(r.airplane_id),
        },
      ]),
    );
  }

  private async appliedSeqs(m: EntityManager, flightIds: number[]): Promise<Map<number, number>> {
    if (flightIds.length === 0) return new Map();
    const p = this.params();
    const rows: Array<Record<string, unknown>> = await m.query(
      `SELECT flight_id, MAX(seq) AS seq FROM flight_change WHERE flight_id IN (${p.list(flightIds)})
       GROUP BY flight_id`,
      p.values,
    );
    return new Map(rows.map((r) => [Number(r.flight_id), Number(r.seq)]));
  }

  private async update(m: EntityManager, flightId: number, departure: string, arrival: string) {
    const p = this.params();
    const dep = p.list([sqlTimestamp(new Date(departure))]);
    const arr = p.list([sqlTimestamp(new Date(arrival))]);
    const id = p.list([flightId]);
    await m.query(`UPDATE flight SET departure = ${dep}, arrival = ${arr} WHERE flight_id = ${id}`, p.values);
  }

  private async insertRows(m: EntityManager, table: string, rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    await insertRows(m, this.dialect, table, rows);
  }

  private params() {
    return sqlParams(this.dialect);
  }
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
