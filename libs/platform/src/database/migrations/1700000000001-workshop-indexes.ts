import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the workshop's queries need beyond the dump's own (each is listed in the README with its query):
 * - flight_route_departure_idx (from, to, departure): flight search and round trips by route and day use a
 *   range on departure after two equalities, so one index answers them without touching other days.
 * - booking_passenger_flight_idx (passenger_id, flight_id): passenger history and profile read a passenger's
 *   bookings and join to flight; the covering pair avoids a lookup per booking row.
 * - airport_geo_country_idx (country): airports by country, otherwise a full scan of airport_geo.
 * - flight_airline_departure_idx is not added: no workshop query filters by airline and day.
 */
const INDEXES: Array<{ name: string; table: string; columns: string[] }> = [
  { name: 'flight_route_departure_idx', table: 'flight', columns: ['from', 'to', 'departure'] },
  { name: 'booking_passenger_flight_idx', table: 'booking', columns: ['passenger_id', 'flight_id'] },
  { name: 'airport_geo_country_idx', table: 'airport_geo', columns: ['country'] },
];

export class WorkshopIndexes1700000000001 implements MigrationInterface {
  name = 'WorkshopIndexes1700000000001';

  async up(q: QueryRunner): Promise<void> {
    const isPg = q.connection.options.type === 'postgres';
    for (const ix of INDEXES) {
      const cols = ix.columns.map((c) => (isPg ? `"${c}"` : `\`${c}\``)).join(', ');
      // A real dump may already carry it; MySQL 8 has no CREATE INDEX IF NOT EXISTS, so ask the catalogue.
      if (await indexExists(q, ix.table, ix.name)) continue;
      await q.query(`CREATE INDEX ${ix.name} ON ${ix.table} (${cols})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    const isPg = q.connection.options.type === 'postgres';
    for (const ix of INDEXES) {
      if (!(await indexExists(q, ix.table, ix.name))) continue;
      await q.query(isPg ? `DROP INDEX ${ix.name}` : `DROP INDEX ${ix.name} ON ${ix.table}`);
    }
  }
}

async function indexExists(q: QueryRunner, table: string, name: string): Promise<boolean> {
  const isPg = q.connection.options.type === 'postgres';
  const rows: unknown[] = isPg
    ? await q.query(
        `SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname = $2`,
        [table, name],
      )
    : await q.query(
        `SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`,
        [table, name],
      );
  return rows.length > 0;
}
