import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect, bind } from '@app/platform';
import { iso, trim } from '../bookings/bookings.repository';
import { sqlTimestamp } from '@app/platform';

export interface FlightTimes {
  flightId: number;
  fromIata: string;
  toIata: string;
  departure: string;
  arrival: string;
}

/** Who the flight_log says made the change. */
const LOG_USER = 'writer-service';

@Injectable()
export class FlightsRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Moves a flight (inside the caller's transaction) with its flight_log row (old and new values), as the
   * original's write-through demo does. Returns the times before the change, or null for an unknown flight.
   */
  async updateTimes(
    m: EntityManager,
    flightId: number,
    departure: Date,
    arrival: Date,
    comment: string | null,
  ): Promise<FlightTimes | null> {
    const d = this.dialect;
    const q = (sql: string, named: Record<string, unknown>) => m.query(...bind(d, sql, named));
    const [f] = await q(
      `SELECT f.flight_id, f.flightno, f.${d.id('from')} AS from_id, f.${d.id('to')} AS to_id, f.departure, f.arrival,
              f.airline_id, f.airplane_id, COALESCE(dep.iata, dep.icao) AS from_iata, COALESCE(arr.iata, arr.icao) AS to_iata
       FROM flight f
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       WHERE f.flight_id = :flightId
       FOR UPDATE${d.isPostgres ? ' OF f' : ''}`,
      { flightId },
    );
    if (!f) return null;
    await q(`UPDATE flight SET departure = :departure, arrival = :arrival WHERE flight_id = :flightId`, {
      departure: sqlTimestamp(departure),
      arrival: sqlTimestamp(arrival),
      flightId,
    });
    await q(
      `INSERT INTO flight_log (log_date, ${d.id('user')}, flight_id, flightno_old, flightno_new, from_old, to_old,
         from_new, to_new, departure_old, arrival_old, departure_new, arrival_new, airplane_id_old, airplane_id_new,
         airline_id_old, airline_id_new, comment)
       VALUES (:logDate, :user, :flightId, :flightno, :flightno, :fromId, :toId, :fromId, :toId, :departureOld,
         :arrivalOld, :departureNew, :arrivalNew, :airplaneId, :airplaneId, :airlineId, :airlineId, :comment)`,
      {
        logDate: sqlTimestamp(new Date()),
        user: LOG_USER,
        flightId,
        flightno: trim(f.flightno),
        fromId: Number(f.from_id),
        toId: Number(f.to_id),
        departureOld: sqlTimestamp(new Date(iso(f.departure))),
        arrivalOld: sqlTimestamp(new Date(iso(f.arrival))),
        departureNew: sqlTimestamp(departure),
        arrivalNew: sqlTimestamp(arrival),
        airplaneId: Number(f.airplane_id),
        airlineId: Number(f.airline_id),
        comment,
      },
    );
    return {
      flightId,
      fromIata: trim(f.from_iata),
      toIata: trim(f.to_iata),
      departure: iso(f.departure),
      arrival: iso(f.arrival),
    };
  }

  async transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }
}
