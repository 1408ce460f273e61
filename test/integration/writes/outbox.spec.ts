import { Queue } from 'bullmq';
import { AppConfig, Dialect, bind, queueOptions } from '@app/platform';
import { EVENTS, QUEUES, eventJobId, seatName } from '@app/contracts';
import { WriteKeys } from '@app/cache';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { TestRedisServer } from '../../support/redis-server';
import { createSeededTestDatabase } from '../../support/seeded';
import { OutboxRelay } from '../../../apps/writer-service/src/events/outbox-relay';
import {
  startWriterContext,
  WriteStack,
  createHundredSeatFlight,
  eventually,
  startWriteStack,
} from './write-stack';

/**
 * The transactional outbox of write-through writes: the queue server (QUEUE_*) is a Redis of the test's own that
 * it kills and restarts, while the cache stays on the main Redis. A booking made while the queue server is down
 * still answers 201, its event waits in event_outbox, and the relay publishes it once the server is back.
 */
describe.each(TEST_ENGINES)('event outbox on %s', (engine) => {
  let queueServer: TestRedisServer;
  let config: AppConfig;
  let stack: WriteStack;
  let dropDb: () => Promise<void>;
  let sql: (text: string, named?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;
  let flight: { flightId: number; capacity: number; fromIata: string; toIata: string };
  let passengerIds: number[];
  let nextSeat = 0;

  beforeAll(async () => {
    queueServer = await TestRedisServer.start();
    config = testConfig(engine, {
      QUEUE_HOST: '127.0.0.1',
      QUEUE_PORT: String(queueServer.port),
      WRITE_BEHIND_BLOCK_MS: '50',
      WARM_EVERY_MS: '600000',
    });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config);
    const d = Dialect.of(stack.ds);
    sql = (text, named = {}) => stack.ds.query(...bind(d, text, named));
    const created = await createHundredSeatFlight(stack.ds);
    const [route] = await sql(
      `SELECT dep.iata AS from_iata, arr.iata AS to_iata FROM flight f
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       WHERE f.flight_id = :flightId`,
      { flightId: created.flightId },
    );
    flight = {
      ...created,
      fromIata: String(route.from_iata).trim(),
      toIata: String(route.to_iata).trim(),
    };
    passengerIds = (await sql('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 20')).map((r) =>
      Number(r.passenger_id),
    );
  });

  afterAll(async () => {
    // The queue server back first (only if a failed test left it down), so the apps' queue connections close
    // cleanly; then the apps, then the data: nothing writes the suite's keys after they are removed.
    if (queueServer && !queueServer.running) await queueServer.start().catch(() => undefined);
    await stack?.close();
    await queueServer?.stop();
    await dropDb?.();
  });

  function book() {
    const i = nextSeat++;
    return stack
      .http()
      .post('/api/bookings')
      .send({
        flightId: flight.flightId,
        passengerId: passengerIds[i % passengerIds.length],
        seat: seatName(i, flight.capacity),
        price: 10,
      });
  }

  const outboxRows = () => sql('SELECT event_name, job_id FROM event_outbox ORDER BY outbox_id');

  async function jobState(jobId: string): Promise<string> {
    const events = new Queue(QUEUES.events, queueOptions(config));
    try {
      return await events.getJobState(jobId);
    } finally {
      await events.close();
    }
  }

  async function airportScores(): Promise<[number, number]> {
    const board = stack.cache.key(WriteKeys.airportLeaderboard());
    return [
      Number((await stack.cache.client.zscore(board, flight.fromIata)) ?? 0),
      Number((await stack.cache.client.zscore(board, flight.toIata)) ?? 0),
    ];
  }

  it('a booking while the queue server is up publishes at once and leaves the outbox empty', async () => {
    const res = await book();
    expect(res.status).toBe(201);
    const jobId = eventJobId(EVENTS.bookingCreated, res.body.data.bookingId);
    expect(await outboxRows()).toEqual([]);
    expect(await eventually(async () => ((await jobState(jobId)) === 'completed' ? true : undefined))).toBe(
      true,
    );
  });

  it('a booking while the queue server is down answers 201, waits in the outbox, and is published once after', async () => {
    const relay = stack.writer.get(OutboxRelay);
    const relayedBefore = relay.relayed;
    const [fromBefore, toBefore] = await airportScores();
    await queueServer.stop();

    const res = await book();
    expect(res.status).toBe(201);
    const bookingId = res.body.data.bookingId as number;
    const jobId = eventJobId(EVENTS.bookingCreated, bookingId);
    expect(await outboxRows()).toEqual([{ event_name: EVENTS.bookingCreated, job_id: jobId }]);
    // The booking itself is committed.
    expect(
      await sql('SELECT booking_id FROM booking WHERE booking_id = :bookingId', { bookingId }),
    ).toHaveLength(1);

    await queueServer.start();
    await eventually(async () => ((await outboxRows()).length === 0 ? true : undefined), 30000);
    await eventually(async () => ((await jobState(jobId)) === 'completed' ? true : undefined), 30000);
    expect(relay.relayed - relayedBefore).toBe(1);
    // Nothing left to relay, and the warmer counted the booking exactly once.
    expect(await relay.relayDue()).toBe(0);
    expect(await airportScores()).toEqual([fromBefore + 1, toBefore + 1]);
  });

  it('cancellations and flight updates too; two writer processes relay the rows between them, each once', async () => {
    const second = await startWriterContext(config, { flusher: false });
    try {
      const relays = [stack.writer.get(OutboxRelay), second.get(OutboxRelay)];
      const relayedBefore = relays.reduce((n, r) => n + r.relayed, 0);
      const booked = await Promise.all([book(), book()]);
      expect(booked.map((r) => r.status)).toEqual([201, 201]);
      const [f] = await sql('SELECT departure, arrival FROM flight WHERE flight_id = :flightId', {
        flightId: flight.flightId,
      });
      const later = (v: unknown) => new Date(new Date(String(v)).getTime() + 3600_000).toISOString();
      await queueServer.stop();

      const [cancelled, moved] = await Promise.all([
        stack.http().delete(`/api/bookings/${booked[0].body.data.bookingId}`),
        stack
          .http()
          .patch(`/api/flights/${flight.flightId}`)
          .send({ departure: later(f.departure), arrival: later(f.arrival), comment: 'outbox test' }),
      ]);
      expect([cancelled.status, moved.status]).toEqual([200, 200]);
      const rows = await outboxRows();
      expect(rows.map((r) => r.event_name).sort()).toEqual([EVENTS.bookingCancelled, EVENTS.flightUpdated]);
      expect(rows.map((r) => r.job_id)).toContain(
        eventJobId(EVENTS.bookingCancelled, booked[0].body.data.bookingId),
      );

      await queueServer.start();
      await eventually(async () => ((await outboxRows()).length === 0 ? true : undefined), 30000);
      for (const r of rows) {
        const jobId = String(r.job_id);
        await eventually(async () => ((await jobState(jobId)) === 'completed' ? true : undefined), 30000);
      }
      // Between them the relays published each row once (a row is locked by one relay, skipped by the other).
      expect(relays.reduce((n, r) => n + r.relayed, 0) - relayedBefore).toBe(rows.length);
    } finally {
      await second.close();
    }
  });
});
