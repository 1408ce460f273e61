import { AppConfig, Dialect, bind } from '@app/platform';
import { MemcachedConnection } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { memcachedEnv, TestMemcachedServer } from '../../support/memcached-server';
import {
  Sql,
  WriteStack,
  cleanDurableKeys,
  freeSeat,
  passengerWithNothingAfter,
  startWriteStack,
} from '../writes/write-stack';
import { utcDay } from './read-stack';

/**
 * CACHE_ENGINE=memcached end to end, on a seeded database of each engine, a real memcached of the suite's own and
 * real Redis (which keeps queues, streams, seat maps): the gateway (from dist/) answers hits from memcached, the
 * query-service fills it, health reports it, and a write-through booking invalidates exactly the entries it
 * should.
 */
describe.each(TEST_ENGINES)('cache-aside entries in memcached on %s', (engine) => {
  let server: TestMemcachedServer;
  let memcached: MemcachedConnection;
  let config: AppConfig;
  let stack: WriteStack;
  let dropDb: () => Promise<void>;
  let sql: Sql;

  beforeAll(async () => {
    server = await TestMemcachedServer.start();
    memcached = new MemcachedConnection({ host: '127.0.0.1', port: server.port }, 2000);
    config = testConfig(engine, { ...memcachedEnv(server), WARM_EVERY_MS: '600000' });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config);
    const d = Dialect.of(stack.ds);
    sql = (text, named = {}) => stack.ds.query(...bind(d, text, named));
  });

  afterAll(async () => {
    await stack?.cache.purgeCachedEntries().catch(() => undefined);
    await cleanDurableKeys(stack?.cache);
    await stack?.close();
    await dropDb?.();
    memcached?.close();
    await server?.stop();
  });

  const get = (path: string) => stack.http().get(path);

  it('a read misses, then hits: the entry is in memcached, not in Valkey', async () => {
    const path = `/api/flights/${SEED_FIXTURES.dashboardFlightId}`;
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.body.meta.source).toBe('database');
    const key = first.body.meta.cacheKey as string;
    expect(key).toBe(`${config.cache.keyPrefix}flight:${SEED_FIXTURES.dashboardFlightId}`);
    const second = await get(path);
    expect(second.status).toBe(200);
    expect(second.body.meta.source).toBe('cache');
    expect(second.body.data).toEqual(first.body.data);
    expect(await memcached.get(key)).toContain(`"flightId":${SEED_FIXTURES.dashboardFlightId}`);
    expect(await stack.cache.client.get(key)).toBeNull();
  });

  it('health reports memcached (gateway and services)', async () => {
    const res = await get('/health');
    // (503: this stack runs no weather-service.)
    expect(res.body.details.memcached).toMatchObject({ status: 'up', address: `127.0.0.1:${server.port}` });
    expect(res.body.details['query-service'].memcached).toMatchObject({ status: 'up' });
  });

  /** A flight of a daily route departing on the last seeded day, with a free seat. */
  async function routeFlight(route: readonly [string, string]) {
    const [from, to] = route;
    const day = utcDay(14);
    const search = await get(`/api/search/flights?from=${from}&to=${to}&date=${day}`);
    expect(search.status).toBe(200);
    const flightId = search.body.data[0].flightId as number;
    const seat = await freeSeat(sql, flightId);
    return { from, to, day, flightId, seat };
  }

  it('a write-through booking invalidates the entries it changes, and only those', async () => {
    const { from, to, day, flightId, seat } = await routeFlight(SEED_FIXTURES.dailyRoutes[0]);
    const other = await routeFlight(SEED_FIXTURES.dailyRoutes[1]);
    const { passengerId, passportNo } = await passengerWithNothingAfter(sql, flightId);
    const changed = [
      `/api/flights/${flightId}/manifest`,
      `/api/passengers/${passportNo}/flights`,
      `/api/search/flights?from=${from}&to=${to}&date=${day}`,
    ];
    const unchanged = `/api/flights/${other.flightId}/manifest`;
    const cached = [];
    for (const path of [...changed, unchanged]) {
      expect((await get(path)).status).toBe(200);
      const again = await get(path);
      expect(again.body.meta.source).toBe('cache');
      cached.push(again.body.data);
    }
    const bookedBefore = (cached[2] as Array<{ flightId: number; bookedSeats: number }>).find(
      (f) => f.flightId === flightId,
    )!.bookedSeats;

    const res = await stack
      .http()
      .post('/api/bookings')
      .send({ flightId, passengerId, seat, price: 99.5, mode: 'write-through' });
    expect(res.status).toBe(201);
    const bookingId = res.body.data.bookingId;

    const [manifest, history, search] = await Promise.all(changed.map(get));
    // Dropped and loaded again (the search may have been warmed again by the cache-warmer meanwhile: it then
    // hits, with the booking in it).
    expect([manifest, history].map((r) => r.body.meta.source)).toEqual(['database', 'database']);
    expect(manifest.body.data.map((m: { seat: string }) => m.seat)).toContain(seat);
    expect(history.body.data.flights.map((f: { bookingId: number }) => f.bookingId)).toContain(bookingId);
    const offer = search.body.data.find((f: { flightId: number }) => f.flightId === flightId);
    expect(offer.bookedSeats).toBe(bookedBefore + 1);
    expect((await get(unchanged)).body.meta.source).toBe('cache');
    // Refilled: hits again.
    expect((await get(changed[0])).body.meta.source).toBe('cache');
  });
});
