import { INestApplicationContext, ServiceUnavailableException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig, Dialect, bind } from '@app/platform';
import { CacheService, DurableWriteKeys } from '@app/cache';
import { seatName } from '@app/contracts';
import { TcpProxy } from '../../support/tcp-proxy';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { BookingsService } from '../../../apps/writer-service/src/bookings/bookings.service';
import { WriteBehindFlusher } from '../../../apps/writer-service/src/write-behind/flusher';
import {
  FlushOutcome,
  FlushRepository,
} from '../../../apps/writer-service/src/write-behind/flush.repository';
import { StreamEntry, bookingsOf } from '../../../apps/writer-service/src/write-behind/stream-entry';
import { cleanDurableKeys, createHundredSeatFlight, eventually, startWriterContext } from './write-stack';

/**
 * The write-behind flusher under failure: a flusher that dies after reading a batch, one that dies after
 * committing it but before acknowledging it, and a database that goes away while bookings keep arriving.
 * Bookings are accepted by a writer-service that does not flush; flushers run as processes of their own. A
 * flusher that dies is played by the test itself: it reads (and commits) a batch as a consumer of the flushers'
 * group, as a flusher would, and never acknowledges it.
 */
describe.each(TEST_ENGINES)('write-behind failures on %s', (engine) => {
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let acceptor: INestApplicationContext;
  let ds: DataSource;
  let passengerIds: number[];
  const contexts: INestApplicationContext[] = [];

  beforeAll(async () => {
    config = testConfig(engine, {
      WRITE_BEHIND_BLOCK_MS: '50',
      WRITE_BEHIND_CLAIM_IDLE_MS: '300',
      WRITE_BEHIND_BATCH_SIZE: '20',
      DB_POOL_SIZE: '4',
    });
    dropDb = await createSeededTestDatabase(config);
    acceptor = await startWriterContext(config, { flusher: false });
    ds = acceptor.get(DataSource);
    const rows: Array<{ passenger_id: number }> = await ds.query(
      'SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 100',
    );
    passengerIds = rows.map((r) => Number(r.passenger_id));
  });

  afterEach(async () => {
    while (contexts.length) await contexts.pop()!.close();
  });

  afterAll(async () => {
    await cleanDurableKeys(acceptor?.get(CacheService));
    await acceptor?.close();
    await dropDb?.();
  });

  async function flusher(cfg: AppConfig) {
    const app = await startWriterContext(cfg, { flusher: true });
    contexts.push(app);
    return app;
  }

  /**
   * A flusher that dies after reading a batch: reads up to `count` entries as a consumer of the flushers' group
   * and never acknowledges them (they stay pending, as a killed process leaves them).
   */
  async function readAsDyingFlusher(count: number): Promise<StreamEntry[]> {
    const cache = acceptor.get(CacheService);
    const group = DurableWriteKeys.writeBehindGroup();
    const read: StreamEntry[] = [];
    // One stream on one server; on a cluster, one per shard (the bookings are in their flight's).
    for (const stream of cache.keyInEveryShard(DurableWriteKeys.writeBehindStream())) {
      await cache.client.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((e: Error) => {
        if (!e.message.includes('BUSYGROUP')) throw e;
      });
      const reply = (await cache.client.xreadgroup(
        'GROUP',
        group,
        'dying-flusher',
        'COUNT',
        count - read.length,
        'STREAMS',
        stream,
        '>',
      )) as Array<[string, StreamEntry[]]> | null;
      read.push(...(reply?.[0]?.[1] ?? []));
      if (read.length >= count) break;
    }
    return read;
  }

  /** n write-behind bookings on a fresh 100-seat flight; returns the flight and the references. */
  /**
   * Ten accepted bookings, read as a batch, which a first flusher has inserted with the flushers' repository and not
   * committed: its transaction is held open (commit or roll back `first`, then release it).
   */
  async function firstFlusherHoldingBatch() {
    const { flightId } = await acceptBookings(10);
    const batch = bookingsOf(await readAsDyingFlusher(10));
    expect(batch).toHaveLength(10);
    const repository = acceptor.get(FlushRepository);
    const first = ds.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    try {
      const inserted = await (
        repository as unknown as { persistTogether(m: unknown, b: typeof batch): Promise<FlushOutcome[]> }
      ).persistTogether(first.manager, batch);
      expect(inserted.every((o) => o.persisted)).toBe(true);
      return { flightId, batch, repository, first, inserted };
    } catch (e) {
      await first.rollbackTransaction();
      await first.release();
      throw e;
    }
  }

  async function acceptBookings(n: number) {
    const { flightId, capacity } = await createHundredSeatFlight(ds);
    const bookings = acceptor.get(BookingsService);
    const references: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await bookings.create({
        flightId,
        passengerId: passengerIds[i % passengerIds.length],
        seat: seatName(i, capacity),
        price: 42,
        mode: 'write-behind',
      });
      references.push((r.value as { reference: string }).reference);
    }
    return { flightId, references };
  }

  async function statuses(references: string[]): Promise<string[]> {
    const bookings = acceptor.get(BookingsService);
    return Promise.all(references.map(async (ref) => (await bookings.status(ref)).value.status));
  }

  async function allPersisted(references: string[]) {
    let last: string[] = [];
    try {
      await eventually(async () => {
        // A status read that misses its deadline on a busy machine answers 503 (unreadable, not "not there"):
        // read again at the next poll.
        last = await statuses(references).catch((e: unknown) => {
          if (e instanceof ServiceUnavailableException) return ['unreadable'];
          throw e;
        });
        return last.every((s) => s === 'persisted') ? true : undefined;
      }, 40000); // bounded, generous: after an outage the flusher's backoff (up to 5 s) and the pool's reconnect come first
    } catch (e) {
      const counts: Record<string, number> = {};
      for (const s of last) counts[s] = (counts[s] ?? 0) + 1;
      throw new Error(`${(e as Error).message}: statuses ${JSON.stringify(counts)}`, { cause: e });
    }
  }

  /** Every reference is in the database exactly once, and the flight holds exactly these bookings. */
  async function expectExactlyOnce(flightId: number, references: string[]) {
    const d = Dialect.of(ds);
    const [booked] = await ds.query(
      ...bind(d, 'SELECT COUNT(*) AS n FROM booking WHERE flight_id = :flightId', { flightId }),
    );
    expect(Number(booked.n)).toBe(references.length);
    const refs: Array<{ reference: string; n: number }> = await ds.query(
      ...bind(
        d,
        `SELECT br.reference, COUNT(*) AS n FROM booking_reference br JOIN booking b ON b.booking_id = br.booking_id
         WHERE b.flight_id = :flightId GROUP BY br.reference`,
        { flightId },
      ),
    );
    expect(refs.map((r) => r.reference).sort()).toEqual([...references].sort());
    expect(refs.every((r) => Number(r.n) === 1)).toBe(true);
  }

  it('a flusher that dies after reading a batch: another claims it and every booking lands once', async () => {
    const { flightId, references } = await acceptBookings(30);
    expect(await readAsDyingFlusher(20)).toHaveLength(20);
    expect(await statuses(references)).toContain('pending');
    const [before] = await ds.query(
      ...bind(Dialect.of(ds), 'SELECT COUNT(*) AS n FROM booking WHERE flight_id = :flightId', { flightId }),
    );
    expect(Number(before.n)).toBe(0);
    await flusher(config);
    await allPersisted(references);
    await expectExactlyOnce(flightId, references);
  });

  it('a flusher that dies after committing but before acknowledging: the replay inserts nothing twice', async () => {
    const { flightId, references } = await acceptBookings(30);
    // What the dying flusher did before it died: read a batch and commit it with the flushers' repository.
    const batch = bookingsOf(await readAsDyingFlusher(20));
    expect(batch).toHaveLength(20);
    const outcomes = await acceptor.get(FlushRepository).persistBatch(batch);
    expect(outcomes.every((o) => o.persisted)).toBe(true);
    const [committed] = await ds.query(
      ...bind(Dialect.of(ds), 'SELECT COUNT(*) AS n FROM booking WHERE flight_id = :flightId', { flightId }),
    );
    expect(Number(committed.n)).toBe(20);
    await flusher(config);
    await allPersisted(references);
    await expectExactlyOnce(flightId, references);
  });

  it('two flushers run the same batch at once (a claim that outlived its idle time): each booking persisted once, none refused for its own seat', async () => {
    const dialect = Dialect.of(ds);
    const { flightId, batch, repository, first, inserted } = await firstFlusherHoldingBatch();
    try {
      // The second one's batch also holds a booking the database refuses at once (a price out of range), so its
      // one multi-row insert fails and it settles each booking on its own: that insert waits on the first one's
      // rows...
      const refused = {
        ...batch[0],
        reference: `${batch[0].reference}X`,
        seat: '9F',
        price: '99999999999.00',
      };
      const second = repository.persistBatch([refused, ...batch]);
      await eventually(async () => ((await lockWaits()) > 0 ? true : undefined), 30_000);
      // ...which commit: it then fails on the unique seat, and the row it met is its own booking: persisted.
      await first.commitTransaction();
      const [outOfRange, ...outcomes] = await second;
      expect(outOfRange).toMatchObject({ persisted: false, reason: expect.stringContaining('refused') });
      expect(outcomes.map((o) => (o.persisted ? o.bookingId : o.reason))).toEqual(
        inserted.map((o) => (o.persisted ? o.bookingId : o.reason)),
      );
    } finally {
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
    }
    const [rows] = await ds.query(
      ...bind(dialect, 'SELECT COUNT(*) AS n FROM booking WHERE flight_id = :flightId', { flightId }),
    );
    expect(Number(rows.n)).toBe(10);

    async function lockWaits(): Promise<number> {
      const [row] = await ds.query(
        dialect.isPostgres
          ? "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
          : // MariaDB lists the waiting insert as a running query (INNODB_TRX does not show it waiting).
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE db = DATABASE() AND command = 'Query' AND info LIKE 'INSERT INTO booking %'",
      );
      return Number(row.n);
    }
  });

  it("another flusher commits the same batch between this one's first and second read: persisted, not seats taken", async () => {
    const { flightId, batch, repository, first, inserted } = await firstFlusherHoldingBatch();
    try {
      // The second flusher's transaction: right after its first statement, the first flusher commits. (PostgreSQL
      // reads each statement in a new snapshot, so its next statement sees that commit; MariaDB keeps the first.)
      const transaction = ds.transaction.bind(ds);
      jest.spyOn(ds, 'transaction').mockImplementationOnce(((work: (m: EntityManager) => Promise<unknown>) =>
        transaction(async (m: EntityManager) => {
          let statements = 0;
          const committingAfterFirst = new Proxy(m, {
            get(target, property, receiver) {
              if (property !== 'query') return Reflect.get(target, property, receiver);
              return async (...args: Parameters<EntityManager['query']>) => {
                const rows = await target.query(...args);
                if (statements++ === 0) await first.commitTransaction();
                return rows;
              };
            },
          });
          return work(committingAfterFirst);
        })) as never);
      const outcomes = await repository.persistBatch(batch);
      expect(first.isTransactionActive).toBe(false);
      expect(outcomes.map((o) => (o.persisted ? o.bookingId : o.reason))).toEqual(
        inserted.map((o) => (o.persisted ? o.bookingId : o.reason)),
      );
    } finally {
      jest.restoreAllMocks();
      if (first.isTransactionActive) await first.rollbackTransaction();
      await first.release();
    }
    const [rows] = await ds.query(
      ...bind(Dialect.of(ds), 'SELECT COUNT(*) AS n FROM booking WHERE flight_id = :flightId', { flightId }),
    );
    expect(Number(rows.n)).toBe(10);
  });

  it('the stream and its group are deleted under a running flusher: it creates them again and flushes on', async () => {
    const app = await flusher(config);
    const cache = acceptor.get(CacheService);
    const streams = cache.keyInEveryShard(DurableWriteKeys.writeBehindStream());
    const first = await acceptBookings(5);
    await allPersisted(first.references);
    // As a clean-up (or an operator) would: the flusher is blocked in XREADGROUP on the stream(s) right now.
    for (const stream of streams) await cache.client.del(stream);
    const exist = async () =>
      (await Promise.all(streams.map((s) => cache.client.exists(s)))).every((n) => n === 1);
    await eventually(async () => ((await exist()) ? true : undefined));
    const second = await acceptBookings(5);
    await allPersisted(second.references);
    await expectExactlyOnce(second.flightId, second.references);
    expect(app.get(WriteBehindFlusher).isRunning).toBe(true);
  });

  it('a flusher stops within its deadline on close, even while it waits for the database', async () => {
    const proxy = await TcpProxy.start({ host: config.db.host, port: config.db.port });
    try {
      const viaProxy: AppConfig = { ...config, db: { ...config.db, host: '127.0.0.1', port: proxy.port } };
      const app = await startWriterContext(viaProxy, { flusher: true });
      await proxy.cut();
      const { references } = await acceptBookings(3);
      await eventually(async () => (app.get(WriteBehindFlusher).totals.retries > 0 ? true : undefined));
      const started = Date.now();
      await app.close();
      expect(app.get(WriteBehindFlusher).isRunning).toBe(false);
      expect(Date.now() - started).toBeLessThan(10_000);
      // Nothing was lost or refused: the bookings stay pending for the next flusher.
      expect(new Set(await statuses(references))).toEqual(new Set(['pending']));
    } finally {
      await proxy.close();
    }
  });

  it('the database goes away while bookings arrive: all are accepted, and persisted once it is back', async () => {
    const proxy = await TcpProxy.start({ host: config.db.host, port: config.db.port });
    try {
      const viaProxy: AppConfig = { ...config, db: { ...config.db, host: '127.0.0.1', port: proxy.port } };
      const app = await flusher(viaProxy);
      await proxy.cut();
      const { flightId, references } = await acceptBookings(40);
      // The flusher keeps retrying: nothing is lost, nothing is marked failed.
      await eventually(async () => (app.get(WriteBehindFlusher).totals.retries > 1 ? true : undefined));
      expect(new Set(await statuses(references))).toEqual(new Set(['pending']));
      await proxy.restore();
      await allPersisted(references);
      await expectExactlyOnce(flightId, references);
    } finally {
      await proxy.close();
    }
  });
});
