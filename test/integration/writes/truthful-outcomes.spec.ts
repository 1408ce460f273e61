import { HttpException, INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/platform';
import { seatName } from '@app/contracts';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { TcpProxy } from '../../support/tcp-proxy';
import { BookingsService } from '../../../apps/writer-service/src/bookings/bookings.service';
import { createHundredSeatFlight, eventually, startWriterContext } from './write-stack';

/**
 * Every answer a booking gets agrees with the database, even when Valkey's replies arrive later than the writer's
 * deadline for a reservation script (a delayed proxy between the writer and Valkey): a reservation whose reply was
 * lost is read back under its reference before the writer answers. Outcomes are checked passenger by passenger
 * against the rows the database holds once every accepted booking is flushed.
 */
describe.each(TEST_ENGINES)('booking outcomes agree with the database on %s (slow Valkey)', (engine) => {
  let config: AppConfig;
  let proxy: TcpProxy;
  let dropDb: () => Promise<void>;
  let writer: INestApplicationContext;
  let ds: DataSource;
  let passengerIds: number[];

  beforeAll(async () => {
    const base = testConfig(engine);
    proxy = await TcpProxy.start({ host: base.cache.host, port: base.cache.port });
    config = testConfig(engine, {
      CACHE_PORT: String(proxy.port),
      // Replies will come 300 ms late: past a script's deadline, within a read-back's (4 x 200 ms).
      CACHE_SCRIPT_TIMEOUT_MS: '200',
      CACHE_COMMAND_TIMEOUT_MS: '100',
      CACHE_PROBE_TIMEOUT_MS: '2000',
      WRITE_BEHIND_BLOCK_MS: '50',
    });
    dropDb = await createSeededTestDatabase(config);
    writer = await startWriterContext(config, { flusher: true });
    ds = writer.get(DataSource);
    const rows: Array<{ passenger_id: number }> = await ds.query(
      'SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 80',
    );
    passengerIds = rows.map((r) => Number(r.passenger_id));
  });

  afterAll(async () => {
    proxy?.delayReplies(0);
    await writer?.close();
    // The database goes with every key of the suite's prefix (through the proxy, still open).
    await dropDb?.();
    await proxy?.close();
  });

  it('write-behind and write-through bookings racing for 30 seats: 0 answers disagree with the database', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(ds);
    const bookings = writer.get(BookingsService);
    // The seat map exists before the replies slow down (its build is a read, not the subject here).
    await bookings.create({
      flightId,
      passengerId: passengerIds[79],
      seat: seatName(99, capacity),
      price: 1,
    });

    proxy.delayReplies(300);
    const requests = passengerIds.slice(0, 60).map((passengerId, i) => ({
      flightId,
      passengerId,
      seat: seatName(i % 30, capacity), // two passengers want each seat
      price: 100,
      mode: (i % 3 === 0 ? 'write-through' : 'write-behind') as 'write-through' | 'write-behind',
    }));
    const outcomes = await Promise.all(
      requests.map(async (r) => {
        try {
          await bookings.create(r);
          return { ...r, status: r.mode === 'write-through' ? 201 : 202 };
        } catch (e) {
          if (e instanceof HttpException) return { ...r, status: e.getStatus() };
          throw e;
        }
      }),
    );
    proxy.delayReplies(0);

    const accepted = outcomes.filter((o) => o.status === 201 || o.status === 202);
    // Every accepted booking reaches the database (the flusher persists the write-behind ones).
    const rowsOf = async () =>
      (await ds.query(
        `SELECT passenger_id, seat FROM booking WHERE flight_id = ${Number(flightId)} AND passenger_id <> ${Number(passengerIds[79])}`,
      )) as Array<{ passenger_id: number; seat: string }>;
    const rows = await eventually(async () => {
      const r = await rowsOf();
      return r.length >= accepted.length ? r : undefined;
    }, 60_000);
    const booked = new Map(rows.map((r) => [Number(r.passenger_id), r.seat.trim()]));

    const disagreements = outcomes.filter((o) => {
      const has = booked.get(o.passengerId) === o.seat;
      return o.status === 201 || o.status === 202 ? !has : o.status === 504 ? false : has;
    });
    const tally = outcomes.reduce<Record<number, number>>(
      (t, o) => ({ ...t, [o.status]: (t[o.status] ?? 0) + 1 }),
      {},
    );
    console.log(`${engine}: outcomes ${JSON.stringify(tally)}, disagreements ${disagreements.length}`);
    expect({ tally, disagreements }).toEqual({ tally, disagreements: [] });
    // No seat is sold twice, and only the seats asked for are sold.
    expect(new Set(rows.map((r) => r.seat.trim())).size).toBe(rows.length);
    expect(rows.length).toBe(accepted.length);
    // Each contested seat went to one of its two passengers, and no request was left without an answer.
    expect(accepted.length).toBeLessThanOrEqual(30);
    expect(Object.keys(tally).every((s) => ['201', '202', '409', '503', '504'].includes(s))).toBe(true);
  }, 180_000);
});
