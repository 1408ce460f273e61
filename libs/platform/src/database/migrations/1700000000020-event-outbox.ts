import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Project-owned transactional outbox of the write-through path: a booking, a cancellation or a flight update
 * inserts its event here in the same transaction as the change, so an event is never lost when the queue
 * server is down at commit time. The writer deletes a row once the event is on the queue; the relay publishes
 * what is left. `job_id` is the BullMQ job id (eventJobId), so a publish repeated by the relay is a no-op.
 */
export class EventOutbox1700000000020 implements MigrationInterface {
  name = 'EventOutbox1700000000020';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`CREATE TABLE IF NOT EXISTS event_outbox (
        outbox_id bigserial PRIMARY KEY,
        event_name varchar(64) NOT NULL,
        job_id varchar(200) NOT NULL,
        payload text NOT NULL,
        created_at timestamp NOT NULL
      )`);
    } else {
      await q.query(`CREATE TABLE IF NOT EXISTS event_outbox (
        outbox_id bigint NOT NULL AUTO_INCREMENT,
        event_name varchar(64) NOT NULL,
        job_id varchar(200) NOT NULL,
        payload mediumtext NOT NULL,
        created_at datetime(3) NOT NULL,
        PRIMARY KEY (outbox_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS event_outbox`);
  }
}
