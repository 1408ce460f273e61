import { Dialect } from '@app/platform';
import { seatName } from '@app/contracts';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES } from '../../support/test-env';
import { FullStack, startFullStack } from '../dashboard/full-stack';
import { rawRows } from '../seed/db-helpers';
import { eventually } from '../writes/write-stack';

jest.setTimeout(120_000);

interface Envelope<T> {
  data: T;
  meta: { source: string; latencyMs: number; cacheKey: string | null };
}

/**
 * Airport leaderboards of a day over the whole system (seeded database of each engine, real Valkey): built from the
 * database on a miss under the stampede lock, answered from sorted sets afterwards, equal to SQL computed here,
 * kept current by booking events exactly once, dropped when a flight moves.
 */
describe.each(TEST_ENGINES)('airport leaderboards on %s', (engine) => {
  let stack: FullStack;
  const [from, to] = SEED_FIXTURES.dashboardRoute;
  let day: string;
  const get = async <T>(path: string, init?: RequestInit) => {
    const res = await fetch(stack.baseUrl + path, init);
    return { status: res.status, body: (await res.json()) as Envelope<T> & { message?: unknown } };
  };
  const sqlCount = async (sql: string) => Number((await rawRows(stack.config.db, sql))[0][0]);

  beforeAll(async () => {
    stack = await startFullStack(engine);
    const flight = await get<{ departure: string }>(`/api/flights/${SEED_FIXTURES.dashboardFlightId}`);
    day = flight.body.data.departure.slice(0, 10);
  });
  afterAll(() => stack?.close());

  it('builds a board from the database once, then answers from the sorted set with the same figures', async () => {
    const path = `/api/leaderboards/airports?date=${day}&by=flights&limit=5`;
    const first = await get<{ top: Array<{ code: string; count: number; rank: number }>; airports: number }>(
      path,
    );
    expect(first.status).toBe(200);
    expect(first.body.meta.source).toBe('database');
    const second = await get<typeof first.body.data>(path);
    expect(second.body.meta.source).toBe('cache');
    expect(second.body.data).toEqual(first.body.data);
    expect(first.body.data.top).toHaveLength(5);
    // The figures are the database's: flights departing that day at or from the top airport, both directions.
    const id = (n: string) => new Dialect(engine).id(n);
    const top = first.body.data.top[0];
    const expected = await sqlCount(
      `SELECT COUNT(*) FROM flight f JOIN airport a ON a.airport_id IN (f.${id('from')}, f.${id('to')})
        WHERE COALESCE(a.iata, a.icao) = '${top.code}'
          AND f.departure >= '${day} 00:00:00' AND f.departure < '${day} 23:59:59.999'`,
    );
    expect(top.count).toBe(expected);
    expect(top.rank).toBe(1);
    const counts = first.body.data.top.map((e) => e.count);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  });

  it('ranks one airport on every board by IATA or by ICAO code', async () => {
    const byIata = await get<Record<string, { rank: number | null; count: number }> & { code: string }>(
      `/api/leaderboards/airports/${from}/rank?date=${day}`,
    );
    expect(byIata.status).toBe(200);
    expect(byIata.body.data.code).toBe(from);
    for (const board of ['departures', 'arrivals', 'flights', 'passengers']) {
      expect(byIata.body.data[board].rank).toBeGreaterThan(0);
    }
    expect(byIata.body.data.flights.count).toBe(
      byIata.body.data.departures.count + byIata.body.data.arrivals.count,
    );
    const byIcao = await get<typeof byIata.body.data>(`/api/leaderboards/airports/KJFK/rank?date=${day}`);
    expect(byIcao.body.data).toEqual(byIata.body.data);
  });

  it('many cold requests for one board cost one database load', async () => {
    const other = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => get(`/api/leaderboards/airports?date=${other}&by=departures`)),
    );
    expect(answers.map((a) => (a.status === 200 ? 200 : `${a.status} ${JSON.stringify(a.body)}`))).toEqual(
      answers.map(() => 200),
    );
    const sources = answers.map((a) => a.body.meta.source);
    expect(sources.filter((s) => s === 'database')).toHaveLength(1);
    expect(sources.filter((s) => s === 'cache')).toHaveLength(11);
  });

  it('a booking adds one passenger at both airports of the passengers board, once; a cancellation takes it back', async () => {
    const board = () =>
      get<{ passengers: { count: number } }>(`/api/leaderboards/airports/${to}/rank?date=${day}`).then(
        (r) => r.body.data.passengers.count,
      );
    const before = await board();
    const seats = await get<{ capacity: number; bookedSeats: string[] }>(
      `/api/flights/${SEED_FIXTURES.dashboardFlightId}/seats?refresh=true`,
    );
    const taken = new Set(seats.body.data.bookedSeats);
    let seat = '';
    for (let i = 0; !seat; i++) {
      const name = seatName(i, seats.body.data.capacity);
      if (!taken.has(name)) seat = name;
    }
    const booked = await fetch(`${stack.baseUrl}/api/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ flightId: SEED_FIXTURES.dashboardFlightId, passengerId: 1, seat, price: 99 }),
    });
    expect(booked.status).toBe(201);
    const bookingId = ((await booked.json()) as { data: { bookingId: number } }).data.bookingId;
    await eventually(async () => ((await board()) === before + 1 ? true : undefined), 20_000);
    // Replays of the event (BullMQ retries, the outbox relay) change nothing: still +1 a moment later.
    await new Promise((r) => setTimeout(r, 500));
    expect(await board()).toBe(before + 1);
    const cancelled = await fetch(`${stack.baseUrl}/api/bookings/${bookingId}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    await eventually(async () => ((await board()) === before ? true : undefined), 20_000);
  });

  it('moving a flight drops the boards of its days: the next read is built again', async () => {
    const path = `/api/leaderboards/airports?date=${day}&by=departures&limit=3`;
    await get(path);
    expect((await get(path)).body.meta.source).toBe('cache');
    const flight = await get<{ departure: string; arrival: string }>(
      `/api/flights/${SEED_FIXTURES.dashboardFlightId}`,
    );
    const later = (iso: string) => new Date(Date.parse(iso) + 3600_000).toISOString();
    const moved = await fetch(`${stack.baseUrl}/api/flights/${SEED_FIXTURES.dashboardFlightId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        departure: later(flight.body.data.departure),
        arrival: later(flight.body.data.arrival),
      }),
    });
    expect(moved.status).toBe(200);
    await eventually(
      async () => ((await get(path)).body.meta.source === 'database' ? true : undefined),
      20_000,
    );
  });

  it('refuses a malformed day, board or code with 400 naming it', async () => {
    expect((await get('/api/leaderboards/airports?date=2026-02-30')).body.message).toEqual(
      expect.arrayContaining([expect.stringContaining('date')]),
    );
    const bad = await get(`/api/leaderboards/airports?date=${day}&by=bookings`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('by must be one of');
    const code = await get(`/api/leaderboards/airports/jfk/rank?date=${day}`);
    expect(code.status).toBe(400);
    expect(JSON.stringify(code.body.message)).toContain('code');
  });
});
