import { Injectable } from '@nestjs/common';
import { Dialect, ReadReplicas, bind } from '@app/platform';
import { LeaderboardKind } from '@app/contracts';

/** One airport's figure on a board: its code (IATA, else ICAO), ICAO, name and count. */
export interface BoardRow {
  code: string;
  icao: string;
  name: string;
  count: number;
}

/**
 * The leaderboards' SQL: the original workshop's questions ("flights per airport on a date", "top airports by
 * flights / by passengers") asked of the database. Every board counts the flights departing on the day (UTC)
 * and credits them to their departure airport (departures), their arrival airport (arrivals) or both (flights);
 * passengers counts the booked seats of those flights at both airports. No index serves "every flight of a day
 * whatever its route": each query scans the day's flights, which is what the sorted sets spare.
 */
@Injectable()
export class LeaderboardsRepository {
  constructor(
    // Boards are read from a replica once it has caught up with the primary (see ReadReplicas).
    private readonly replicas: ReadReplicas,
    private readonly dialect: Dialect,
  ) {}

  /** The SQL of a board, as run (the demo prints it). */
  sql(by: LeaderboardKind): string {
    const d = this.dialect;
    const day = `f.departure >= :dayStart AND f.departure < :dayEnd`;
    const side = (column: 'from' | 'to') =>
      `SELECT f.${d.id(column)} AS airport_id FROM flight f WHERE ${day}`;
    const seats = (column: 'from' | 'to') =>
      `SELECT f.${d.id(column)} AS airport_id FROM booking b JOIN flight f ON f.flight_id = b.flight_id WHERE ${day}`;
    const source =
      by === 'departures'
        ? side('from')
        : by === 'arrivals'
          ? side('to')
          : by === 'flights'
            ? `${side('from')} UNION ALL ${side('to')}`
            : `${seats('from')} UNION ALL ${seats('to')}`;
    return `
      SELECT COALESCE(a.iata, a.icao) AS code, a.icao, a.name, t.n
      FROM (SELECT s.airport_id, COUNT(*) AS n FROM (${source}) s GROUP BY s.airport_id) t
      JOIN airport a ON a.airport_id = t.airport_id
      ORDER BY t.n DESC, code`;
  }

  async board(by: LeaderboardKind, date: string): Promise<BoardRow[]> {
    const dayStart = `${date} 00:00:00`;
    const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const rows: Array<Record<string, unknown>> = await this.replicas.query(
      ...bind(this.dialect, this.sql(by), { dayStart, dayEnd: `${next} 00:00:00` }),
    );
    return rows.map((r) => ({
      code: String(r.code).trimEnd(),
      icao: String(r.icao).trimEnd(),
      name: String(r.name),
      count: Number(r.n),
    }));
  }
}
