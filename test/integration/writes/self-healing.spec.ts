import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig, SERVICE_CHECKS, ServiceChecks, queueOptions } from '@app/platform';
import { DurableWriteKeys } from '@app/cache';
import { QUEUES, WARMING_JOBS, seatName } from '@app/contracts';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { BookingsService } from '../../../apps/writer-service/src/bookings/bookings.service';
import {
  WriteStack,
  createHundredSeatFlight,
  eventually,
  startWriteStack,
  startWriterContext,
} from './write-stack';

/**
 * Services that heal themselves: the write-behind stream (with its consumer group) and the warming job schedulers
 * are deleted while the stack runs — a Valkey restarted without persistence, a failover, a FLUSHALL — and
 * bookings keep flowing into the database with no restart; the schedule comes back. A backlog that waits too long
 * is reported as degraded by the writer's health check, and clears once a flusher catches up.
 */
describe.each(TEST_ENGINES)('self-healing on %s', (engine) => {
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let stack: WriteStack;
  let passengerIds: number[];

  beforeAll(async () => {
    config = testConfig(engine, { WRITE_BEHIND_BLOCK_MS: '50', WRITE_BEHIND_DEGRADED_AFTER_MS: '300' });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config);
    const rows: Array<{ passenger_id: number }> = await stack.ds.query(
      'SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 20',
    );
    passengerIds = rows.map((r) => Number(r.passenger_id));
  });

  afterAll(async () => {
    await stack?.close();
    await dropDb?.();
  });

  const persisted = (ds: DataSource, flightId: number) =>
    ds
      .query(`SELECT COUNT(*) AS n FROM booking WHERE flight_id = ${Number(flightId)}`)
      .then(([r]: Array<{ n: string | number }>) => Number(r.n));

  it('the stream and the job schedulers are deleted under the running stack: bookings keep reaching the database, the schedule comes back', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(stack.ds);
    const book = (i: number) =>
      stack
        .http()
        .post('/api/bookings')
        .send({
          flightId,
          passengerId: passengerIds[i],
          seat: seatName(i, capacity),
          price: 10,
          mode: 'write-behind',
        });
    expect((await book(0)).status).toBe(202);
    await eventually(async () => ((await persisted(stack.ds, flightId)) === 1 ? true : undefined), 30_000);

    const warming = new Queue(QUEUES.warming, queueOptions(stack.config));
    try {
      await eventually(async () => ((await warming.getJobSchedulersCount()) > 0 ? true : undefined), 30_000);
      // Lost under the running stack: the stream with its consumer group, and every job scheduler.
      await stack.cache.guard((c) => c.del(stack.cache.key(DurableWriteKeys.writeBehindStream())), 'script');
      for (const name of Object.values(WARMING_JOBS)) await warming.removeJobScheduler(name);
      expect(await warming.getJobSchedulersCount()).toBe(0);

      for (let i = 1; i <= 5; i++) expect((await book(i)).status).toBe(202);
      expect(
        await eventually(async () => ((await persisted(stack.ds, flightId)) === 6 ? 6 : undefined), 60_000),
      ).toBe(6);
      const schedulers = await eventually(async () => {
        const n = await warming.getJobSchedulersCount();
        return n > 0 ? n : undefined;
      }, 60_000);
      expect(schedulers).toBeGreaterThan(0);
    } finally {
      await warming.close();
    }
  }, 180_000);

  it('a backlog older than WRITE_BEHIND_DEGRADED_AFTER_MS is reported degraded, and clears once it is flushed', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(stack.ds);
    // A writer-service that accepts without flushing, on a stream of its own (a key prefix inside the suite's),
    // so nothing persists its bookings until a flusher for that stream starts.
    const own: AppConfig = {
      ...stack.config,
      cache: { ...stack.config.cache, keyPrefix: `${stack.config.cache.keyPrefix}own:` },
    };
    const acceptor: INestApplicationContext = await startWriterContext(own, { flusher: false });
    try {
      const checks = acceptor.get<ServiceChecks>(SERVICE_CHECKS);
      await acceptor.get(BookingsService).create({
        flightId,
        passengerId: passengerIds[10],
        seat: seatName(10, capacity),
        price: 5,
        mode: 'write-behind',
      });
      const degraded = await eventually(async () => {
        const report = await checks.check();
        return report['write-behind']?.state === 'degraded' ? report['write-behind'] : undefined;
      }, 30_000);
      expect(degraded).toMatchObject({ status: 'up', state: 'degraded' });
      expect(Number(degraded.oldestAgeMs)).toBeGreaterThan(300);

      const flusher = await startWriterContext(own, { flusher: true });
      try {
        await eventually(
          async () => ((await persisted(stack.ds, flightId)) === 1 ? true : undefined),
          30_000,
        );
        const ok = await eventually(async () => {
          const report = await checks.check();
          return report['write-behind']?.state === 'ok' ? report['write-behind'] : undefined;
        }, 30_000);
        expect(ok).toMatchObject({ status: 'up', state: 'ok', pending: 0, undelivered: 0 });
      } finally {
        await flusher.close();
      }
    } finally {
      await acceptor.close();
    }
  }, 180_000);
});
