import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect, bind } from '@app/platform';
import { eventJobId } from '@app/contracts';
import { sqlTimestamp } from '@app/platform';
import { EventJob, PendingEvent } from './event-publisher';

type Row = Record<string, unknown>;

/** An event written to the outbox with its change: published right after the commit, or by the relay. */
export type OutboxEvent = PendingEvent & { outboxId: number };

/** The event_outbox table (migration EventOutbox1700000000020), SQL written once for both engines. */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly dialect: Dialect,
  ) {}

  /** Inside the caller's transaction: the events commit (or roll back) with the change they describe. */
  async add(m: EntityManager, events: PendingEvent[]): Promise<OutboxEvent[]> {
    const added: OutboxEvent[] = [];
    for (const e of events) {
      const sql = `INSERT INTO event_outbox (event_name, job_id, payload, created_at)
                   VALUES (:name, :jobId, :payload, :createdAt)`;
      const named = {
        name: e.name,
        jobId: eventJobId(e.name, e.id, e.version),
        payload: JSON.stringify(e.payload),
        createdAt: sqlTimestamp(new Date()),
      };
      let outboxId: number;
      if (this.dialect.isPostgres) {
        const [r] = await this.run(`${sql} RETURNING outbox_id`, named, m);
        outboxId = Number(r.outbox_id);
      } else {
        outboxId = Number(((await this.run(sql, named, m)) as unknown as { insertId: number }).insertId);
      }
      added.push({ ...e, outboxId });
    }
    return added;
  }

  async remove(outboxIds: number[]): Promise<void> {
    if (outboxIds.length === 0) return;
    await this.deleteRows(outboxIds);
  }

  /**
   * One relay batch: the oldest rows written before `olderThan` are locked (rows another writer process holds
   * are skipped, so several relays share the work), handed to `publish`, and deleted in the same transaction.
   * If publish throws, the transaction rolls back and the rows stay for the next round. Returns how many.
   * READ COMMITTED (PostgreSQL's default): InnoDB then locks only the rows it returns, no gaps, so the
   * bookings' own outbox inserts never wait for a relay that is publishing.
   */
  async relayBatch(
    limit: number,
    olderThan: Date,
    publish: (jobs: EventJob[]) => Promise<void>,
  ): Promise<number> {
    return this.ds.transaction('READ COMMITTED', async (m) => {
      const rows = await this.run(
        `SELECT outbox_id, event_name, job_id, payload FROM event_outbox
         WHERE created_at < :olderThan
         ORDER BY outbox_id
         LIMIT ${Math.trunc(limit)}
         FOR UPDATE SKIP LOCKED`,
        { olderThan: sqlTimestamp(olderThan) },
        m,
      );
      if (rows.length === 0) return 0;
      await publish(
        rows.map((r) => ({
          name: String(r.event_name),
          jobId: String(r.job_id),
          data: JSON.parse(String(r.payload)) as object,
        })),
      );
      await this.deleteRows(
        rows.map((r) => Number(r.outbox_id)),
        m,
      );
      return rows.length;
    });
  }

  private deleteRows(outboxIds: number[], m?: EntityManager): Promise<Row[]> {
    const named = Object.fromEntries(outboxIds.map((id, i) => [`id${i}`, id]));
    const list = Object.keys(named)
      .map((k) => `:${k}`)
      .join(', ');
    return this.run(`DELETE FROM event_outbox WHERE outbox_id IN (${list})`, named, m);
  }

  private run(sql: string, named: Record<string, unknown>, m?: EntityManager): Promise<Row[]> {
    const [text, params] = bind(this.dialect, sql, named);
    return (m ?? this.ds).query(text, params);
  }
}
