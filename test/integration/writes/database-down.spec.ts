import { AppConfig } from '@app/platform';
import { seatName } from '@app/contracts';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { TcpProxy } from '../../support/tcp-proxy';
import { WriteStack, createHundredSeatFlight, startWriteStack } from './write-stack';

/**
 * The database stops for real (a TCP proxy in front of it is cut: open connections dropped, new ones refused)
 * while the stack runs. Every path that needs it answers 503 naming it, in the contract's error shape — never a
 * 500, never a hang — and what the cache holds is still served.
 */
describe.each(TEST_ENGINES)('database down on %s', (engine) => {
  let proxy: TcpProxy;
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let stack: WriteStack;
  let cached: number;
  let neverRead: number;
  let passengerId: number;

  beforeAll(async () => {
    const base = testConfig(engine);
    proxy = await TcpProxy.start({ host: base.db.host, port: base.db.port });
    config = testConfig(engine, { DB_PORT: String(proxy.port) });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config, { warmer: false });
    const flights: Array<{ flight_id: number }> = await stack.ds.query(
      'SELECT flight_id FROM flight ORDER BY flight_id LIMIT 2',
    );
    [cached, neverRead] = flights.map((f) => Number(f.flight_id));
    const [p] = await stack.ds.query('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 1');
    passengerId = Number(p.passenger_id);
  });

  afterAll(async () => {
    await proxy?.restore();
    await stack?.close();
    // The database goes (through the proxy) with every key of the suite's prefix.
    await dropDb?.();
    await proxy?.close();
  });

  it('reads that miss, refreshes, write-through and write-behind answer 503 naming the database; hits are served', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(stack.ds);
    expect((await stack.http().get(`/api/flights/${cached}`)).body.meta.source).toBe('database');
    expect((await stack.http().get(`/api/flights/${cached}`)).body.meta.source).toBe('cache');

    await proxy.cut();

    const name = engine === 'postgres' ? 'PostgreSQL' : 'MariaDB';
    const expect503 = (res: {
      status: number;
      body: { statusCode: number; error: string; message: string };
    }) => {
      expect({ status: res.status, body: res.body }).toMatchObject({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable' },
      });
      expect(res.body.message).toMatch(new RegExp(`database.*${name}`));
    };
    // A read that must reach the database (never read before), and a refresh of a cached one.
    expect503(await stack.http().get(`/api/flights/${neverRead}`));
    expect503(await stack.http().get(`/api/flights/${cached}?refresh=true`));
    expect503(await stack.http().get(`/api/flights/${neverRead}/manifest`));
    // A search by ICAO code asks the database for the airports' codes first: that too is a 503.
    expect503(await stack.http().get('/api/search/flights?from=KJFK&to=KLAX&date=2026-03-01'));
    // What the cache holds is still served.
    const hit = await stack.http().get(`/api/flights/${cached}`);
    expect({ status: hit.status, source: hit.body.meta?.source }).toEqual({ status: 200, source: 'cache' });
    // Writes: write-through needs the database; write-behind needs it to build a seat map it never built.
    const body = { flightId, passengerId, price: 10 };
    const wt = await stack
      .http()
      .post('/api/bookings')
      .send({ ...body, seat: seatName(0, capacity) });
    expect(wt.status).toBe(503);
    const wb = await stack
      .http()
      .post('/api/bookings')
      .send({ ...body, seat: seatName(1, capacity), mode: 'write-behind' });
    expect(wb.status).toBe(503);
    for (const res of [wt, wb])
      expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(wt.body.message).toMatch(/database/);
    expect(wb.body.message).toMatch(/database/);

    // Back up: the same requests succeed again, nothing half-written.
    await proxy.restore();
    const again = await stack.http().get(`/api/flights/${neverRead}`);
    expect(again.status).toBe(200);
    const [{ n }] = await stack.ds.query(
      `SELECT COUNT(*) AS n FROM booking WHERE flight_id = ${Number(flightId)}`,
    );
    expect(Number(n)).toBe(0);
  }, 120_000);
});
