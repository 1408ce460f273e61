import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Project-owned table for write-behind flight changes (PATCH /api/flights/:id, mode write-behind): one row per
 * change the flusher applied, by the reference the client was given. The primary key on `reference` makes a
 * replayed batch apply nothing twice; `seq` (the change's place among its flight's changes, given when it was
 * accepted) keeps an older change that reaches the database late from undoing a newer one.
 */
export class FlightChange1700000000030 implements MigrationInterface {
  name = 'FlightChange1700000000030';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`CREATE TABLE IF NOT EXISTS flight_change (
        reference varchar(36) PRIMARY KEY,
        flight_id integer NOT NULL,
        seq bigint NOT NULL,
        accepted_at timestamp NOT NULL,
        persisted_at timestamp NOT NULL
      )`);
      await q.query(
        `CREATE INDEX IF NOT EXISTS flight_change_flight_seq_idx ON flight_change (flight_id, seq)`,
      );
    } else {
      await q.query(`CREATE TABLE IF NOT EXISTS flight_change (
        reference varchar(36) NOT NULL,
        flight_id int NOT NULL,
        seq bigint NOT NULL,
        accepted_at datetime(3) NOT NULL,
        persisted_at datetime(3) NOT NULL,
        PRIMARY KEY (reference),
        KEY flight_change_flight_seq_idx (flight_id, seq)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS flight_change`);
  }
}
