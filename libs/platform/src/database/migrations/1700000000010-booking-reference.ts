import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Project-owned table for write-behind bookings: the reference the client was given maps to the booking row the
 * flusher inserted. The primary key on `reference` is what makes a replayed batch insert nothing twice; the
 * dump's `booking` table is left exactly as it is. Deleting a booking (cancellation) deletes its reference.
 */
export class BookingReference1700000000010 implements MigrationInterface {
  name = 'BookingReference1700000000010';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`CREATE TABLE IF NOT EXISTS booking_reference (
        reference varchar(36) PRIMARY KEY,
        booking_id integer NOT NULL UNIQUE REFERENCES booking (booking_id) ON DELETE CASCADE,
        accepted_at timestamp NOT NULL,
        persisted_at timestamp NOT NULL
      )`);
    } else {
      await q.query(`CREATE TABLE IF NOT EXISTS booking_reference (
        reference varchar(36) NOT NULL,
        booking_id int NOT NULL,
        accepted_at datetime(3) NOT NULL,
        persisted_at datetime(3) NOT NULL,
        PRIMARY KEY (reference),
        UNIQUE KEY booking_reference_booking_unq (booking_id),
        CONSTRAINT booking_reference_booking_fk FOREIGN KEY (booking_id) REFERENCES booking (booking_id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS booking_reference`);
  }
}
