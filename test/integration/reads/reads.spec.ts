import { DataSource } from 'typeorm';
import { AppConfig, Dialect } from '@app/platform';
import { Keys, Tags } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { parseExposition, valueOf } from '../../../tools/observability/exposition';
import { ReadStack, basicAuth, startReadStack, utcDay } from './read-stack';

/**
 * The cache-aside read path through the gateway over HTTP: gateway -> TCP -> query-service -> Valkey/database,
 * on a seeded database of each engine and real Redis.
 */
describe.each(TEST_ENGINES)('read path on %s', (engine) => {
  let config: AppConfig;
  let stack: ReadStack;
  let dropDb: () => Promise<void>;
  const flightId = SEED_FIXTURES.dashboardFlightId;
  const [from, to] = SEED_FIXTURES.dailyRoutes[0];
  const today = utcDay();

  beforeAll(async () => {
    config = testConfig(engine);
    dropDb = await createSeededTestDatabase(config);
    stack = await startReadStack(config);
  });

  afterAll(async () => {
    await stack?.cache.purgeCachedEntries();
    await stack?.stats.reset();
    await stack?.close();
    await dropDb?.();
  });

  const get = (path: string) => stack.http().get(path);

  /** First call loads from the database, the second is a hit with identical data. */
  async function missThenHit(path: string) {
    const first = await get(path);
    expect(first.status).toBe(200);
    expect(first.body.meta.source).toBe('database');
    expect(first.body.meta.cacheKey).toMatch(new RegExp(`^${escapeRe(config.cache.keyPrefix)}`));
    expect(typeof first.body.meta.latencyMs).toBe('number');
    const second = await get(path);
    expect(second.status).toBe(200);
    expect(second.body.meta.source).toBe('cache');
    expect(second.body.meta.cacheKey).toBe(first.body.meta.cacheKey);
    expect(second.body.data).toEqual(first.body.data);
    return first.body.data;
  }

  it('flight details: flight, airline, both airports, status', async () => {
    const data = await missThenHit(`/api/flights/${flightId}`);
    expect(data).toMatchObject({
      flightId,
      airline: { iata: expect.any(String) },
      from: { icao: expect.any(String) },
    });
    expect(['completed', 'in progress', 'upcoming']).toContain(data.status);
  });

  it('manifest: ordered by seat (row, then letter)', async () => {
    const data = await missThenHit(`/api/flights/${flightId}/manifest`);
    expect(data.length).toBeGreaterThan(0);
    const rows = data.map((e: { seat: string }) => parseInt(e.seat, 10));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(data[0]).toMatchObject({
      passportNo: expect.stringMatching(/^[A-Z0-9]{9}$/),
      price: expect.any(Number),
    });
  });

  it('seat availability: counters in a hash and the booked seats from the bitmap agree with the manifest', async () => {
    const data = await missThenHit(`/api/flights/${flightId}/seats`);
    const manifest = (await get(`/api/flights/${flightId}/manifest`)).body.data as { seat: string | null }[];
    expect(data.booked).toBe(manifest.length);
    expect(data.available).toBe(data.capacity - data.booked);
    expect([...data.bookedSeats].sort()).toEqual(
      manifest
        .map((m) => m.seat)
        .filter(Boolean)
        .sort(),
    );
    expect(await stack.cache.client.type(stack.cache.key(Keys.seatCounters(flightId)))).toBe('hash');
    expect(await stack.cache.client.strlen(stack.cache.key(Keys.seatMap(flightId)))).toBe(
      Math.ceil(data.capacity / 8),
    );
  });

  it('passenger sample, history by passport and profile (hash + sorted set)', async () => {
    // A pool is cached; every request draws its own sample from it ("Random 10" is random per click).
    const first = await get('/api/passengers/sample?count=5');
    expect(first.body.meta.source).toBe('database');
    const again = await get('/api/passengers/sample?count=5');
    expect(again.body.meta.source).toBe('cache');
    expect(again.body.meta.cacheKey).toBe(first.body.meta.cacheKey);
    const sample = again.body.data;
    expect(sample).toHaveLength(5);
    const p = sample[0];
    expect(p.label).toBe(`${p.firstname} ${p.lastname} (${p.passportNo}) - ${p.bookings} bookings`);
    expect(p.bookings).toBeGreaterThan(0);

    const history = await missThenHit(`/api/passengers/${p.passportNo}/flights`);
    expect(history.passenger.passengerId).toBe(p.passengerId);
    expect(history.flights.length).toBe(Math.min(10, p.bookings));
    const departures = history.flights.map((f: { departure: string }) => f.departure);
    expect(departures).toEqual([...departures].sort().reverse());
    for (const f of history.flights) {
      // Both codes of each end: IATA (null for an airport without one) and ICAO.
      expect(Object.keys(f.from).sort()).toEqual(['iata', 'icao', 'name']);
      expect([f.from.icao, f.to.icao]).toEqual([
        expect.stringMatching(/^[A-Z0-9]{4}$/),
        expect.stringMatching(/^[A-Z0-9]{4}$/),
      ]);
    }

    const profile = await missThenHit(`/api/passengers/${p.passengerId}/profile`);
    expect(profile.totalFlights).toBe(p.bookings);
    expect(profile.frequentRoutes.length).toBeGreaterThan(0);
    // IATA codes, or the ICAO code of an airport without one (the dump has many).
    expect(profile.frequentRoutes[0].route).toMatch(/^[A-Z0-9]{3,4}-[A-Z0-9]{3,4}$/);
    expect(await stack.cache.client.type(stack.cache.key(Keys.passengerRoutes(p.passengerId)))).toBe('zset');
  });

  it('airports by country and one airport with geo data', async () => {
    const jfk = await missThenHit('/api/airports/JFK');
    expect(jfk).toMatchObject({ iata: 'JFK', latitude: expect.any(Number), longitude: expect.any(Number) });
    const list = await missThenHit(`/api/airports?country=${encodeURIComponent(jfk.country)}&limit=5`);
    expect(list.length).toBeGreaterThan(0);
    expect(list.length).toBeLessThanOrEqual(5);
    expect(list.every((a: { country: string }) => a.country === jfk.country)).toBe(true);
  });

  it('flight search, round trip, popular routes', async () => {
    const offers = await missThenHit(`/api/search/flights?from=${from}&to=${to}&date=${today}`);
    expect(offers.length).toBeGreaterThan(0);
    for (const o of offers) {
      expect(o.departure.slice(0, 10)).toBe(today);
      expect(o.freeSeats).toBe(o.capacity - o.bookedSeats);
    }
    const rt = await missThenHit(
      `/api/search/roundtrip?from=${from}&to=${to}&depart=${today}&return=${utcDay(2)}`,
    );
    expect(rt.outbound).toEqual(offers);
    expect(rt.return.length).toBeGreaterThan(0);
    expect(rt.return[0].from.iata).toBe(to);

    const popular = await get('/api/routes/popular?limit=5');
    expect(popular.status).toBe(200);
    // Two searches and two round trips on the route so far.
    expect(popular.body.data[0]).toEqual({ from, to, searches: 4 });
  });

  it('flight search by ICAO code: an airport without an IATA code, and KJFK for JFK (one cache entry)', async () => {
    // A flight from or to an airport that has no IATA code (about a third of the generated airports have none).
    const ds = stack.queryService.get(DataSource);
    const d = Dialect.of(ds);
    const [row] = (await ds.query(
      `SELECT f.flight_id, f.departure, dep.iata AS from_iata, dep.icao AS from_icao,
              arr.iata AS to_iata, arr.icao AS to_icao
       FROM flight f
       JOIN airport dep ON dep.airport_id = f.${d.id('from')}
       JOIN airport arr ON arr.airport_id = f.${d.id('to')}
       WHERE dep.iata IS NULL
       ORDER BY f.flight_id
       LIMIT 1`,
    )) as Array<Record<string, unknown>>;
    expect(row).toBeDefined();
    expect(row.from_iata).toBeNull();
    const fromIcao = String(row.from_icao).trim();
    const toCode = String(row.to_iata ?? row.to_icao).trim();
    const day = new Date(row.departure as string).toISOString().slice(0, 10);
    const offers = await missThenHit(`/api/search/flights?from=${fromIcao}&to=${toCode}&date=${day}`);
    expect(offers.map((o: { flightId: number }) => o.flightId)).toContain(Number(row.flight_id));
    // Each end carries its ICAO code too, so a client can show one for an airport without an IATA code.
    expect(offers[0].from).toEqual({ iata: null, icao: fromIcao, name: expect.any(String) });
    expect(offers[0].to).toMatchObject({ icao: String(row.to_icao).trim() });

    // The ICAO code of an airport that has an IATA code is the same search as by IATA: one entry, one route tag.
    const [jfk, lax] = await Promise.all(
      [from, to].map(async (code) => (await get(`/api/airports/${code}`)).body.data.icao as string),
    );
    const byIata = await get(`/api/search/flights?from=${from}&to=${to}&date=${today}`);
    const byIcao = await get(`/api/search/flights?from=${jfk}&to=${lax}&date=${today}`);
    expect(byIcao.status).toBe(200);
    expect(byIcao.body.meta.source).toBe('cache');
    expect(byIcao.body.meta.cacheKey).toBe(stack.cache.key(Keys.flightSearch(from, to, today)));
    expect(byIcao.body.data).toEqual(byIata.body.data);
    expect(byIcao.body.data.length).toBeGreaterThan(0);
    const mixed = await get(`/api/search/flights?from=${jfk}&to=${to}&date=${today}&refresh=true`);
    expect(mixed.body.meta.source).toBe('database');
    expect(mixed.body.data).toEqual(byIata.body.data);

    // An ICAO code no airport has finds nothing (200, empty), like an unknown IATA code.
    const unknown = await get(`/api/search/flights?from=ZZZ9&to=${to}&date=${today}`);
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toEqual([]);
  });

  it('hub routes (BI) and query plans', async () => {
    const hubs = await missThenHit('/api/routes/hubs?airports=JFK,LAX&limit=5');
    expect(hubs.length).toBeGreaterThan(0);
    expect(hubs.every((h: { from: { iata: string } }) => ['JFK', 'LAX'].includes(h.from.iata))).toBe(true);
    expect(hubs[0].to.icao).toMatch(/^[A-Z0-9]{4}$/);
    const plan = await missThenHit('/api/queries/flight_search/explain');
    expect(plan).toMatchObject({ name: 'flight_search', engine });
    expect(plan.plan).toBeTruthy();
  });

  it('a hit on a URL validated before is answered early (first hook, then the lane from memory), exactly as the whole way answers it', async () => {
    const figures = async () => {
      const exposition = parseExposition(await get('/metrics').then((r) => r.text));
      return {
        hook: valueOf(exposition, 'cmiyc_gateway_early_hits_total', { stage: 'hook' }) ?? 0,
        lane: valueOf(exposition, 'cmiyc_gateway_early_hits_total', { stage: 'lane' }) ?? 0,
        answered:
          valueOf(exposition, 'cmiyc_http_request_duration_seconds_count', {
            method: 'GET',
            route: '/api/flights/:flightId/manifest',
            status: '200',
          }) ?? 0,
      };
    };
    const earlyHits = async () => {
      const { hook, lane } = await figures();
      return hook + lane;
    };
    // A URL no earlier test asked for (it is the URL, not the read, that is remembered).
    const path = `/api/flights/${flightId}/manifest?refresh=false`;
    const start = await figures();
    const whole = await get(path); // a miss, or a hit found on the whole way: either way validated, remembered
    expect(whole.status).toBe(200);
    // Early: in the first hook from Valkey, or already in the lane when this gateway's near cache held the entry
    // (an earlier test read it). After that first early answer it holds it: the lane.
    const early = await get(path);
    const afterEarly = await figures();
    expect(afterEarly.hook + afterEarly.lane).toBe(start.hook + start.lane + 1);
    expect(afterEarly.answered).toBe(start.answered + 2);
    const lane = await get(path);
    expect(await figures()).toEqual({
      ...afterEarly,
      lane: afterEarly.lane + 1,
      answered: afterEarly.answered + 1,
    });
    for (const answer of [early, lane]) {
      expect(answer.status).toBe(200);
      expect(answer.body.meta.source).toBe('cache');
      expect(answer.body.data).toEqual(whole.body.data);
      expect(answer.body.meta.cacheKey).toBe(whole.body.meta.cacheKey);
      // The same headers: the request id, the security headers, the content type; none more, none fewer.
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers['x-request-id']).not.toBe(whole.headers['x-request-id']);
      expect(Object.keys(answer.headers).sort()).toEqual(Object.keys(whole.headers).sort());
      for (const h of Object.keys(whole.headers).filter(
        (n) => !['x-request-id', 'date', 'content-length'].includes(n),
      ))
        expect({ [h]: answer.headers[h] }).toEqual({ [h]: whole.headers[h] });
    }
    // A client's own request id is kept on the lane too.
    const given = await stack.http().get(path).set('x-request-id', 'client-chosen-id-1');
    expect(given.headers['x-request-id']).toBe('client-chosen-id-1');
    expect((await figures()).lane).toBe(afterEarly.lane + 2);
    // A request that announces a body is left to Fastify (its limits are checked there): the first hook answers it.
    const announced = await stack.http().get(path).set('content-length', '0');
    expect(announced.status).toBe(200);
    expect(await figures()).toMatchObject({ lane: afterEarly.lane + 2, hook: afterEarly.hook + 1 });
    const start2 = await earlyHits();

    // Never for what the whole way refuses or must load: bad input, a refresh.
    for (let i = 0; i < 2; i++) {
      expect((await get('/api/flights/abc/manifest')).status).toBe(400);
      expect((await get(`/api/flights/${flightId}/manifest?refresh=true`)).body.meta.source).toBe('database');
    }
    expect(await earlyHits()).toBe(start2);
    // An entry gone from the cache (dropped from the gateway's near cache too): the next request goes the whole way.
    await stack.cache.delete([Keys.manifest(flightId)]);
    const reloaded = await get(path);
    expect(reloaded.body.meta.source).toBe('database');
    expect(await earlyHits()).toBe(start2);
  });

  it('?refresh=true reloads from the database and overwrites the entry', async () => {
    await get(`/api/airports/LAX`);
    const refreshed = await get(`/api/airports/LAX?refresh=true`);
    expect(refreshed.body.meta.source).toBe('database');
    expect((await get(`/api/airports/LAX`)).body.meta.source).toBe('cache');
    const seats = await get(`/api/flights/${flightId}/seats?refresh=true`);
    expect(seats.body.meta.source).toBe('database');
    expect((await get(`/api/flights/${flightId}/seats`)).body.meta.source).toBe('cache');
  });

  it("invalidating a tag removes exactly that tag's entries", async () => {
    const paths = {
      flight: `/api/flights/${flightId}`,
      manifest: `/api/flights/${flightId}/manifest`,
      seats: `/api/flights/${flightId}/seats`,
      airport: '/api/airports/JFK',
      search: `/api/search/flights?from=${from}&to=${to}&date=${today}`,
    };
    for (const p of Object.values(paths)) await get(p);
    const searchKey = stack.cache.key(Keys.flightSearch(from, to, today));
    // The search names its flights as tags, so a change to one of them drops the search too.
    const offered = (await get(paths.search)).body.data[0].flightId as number;
    expect(await stack.cache.keysOfTag(Tags.flight(offered))).toContain(Keys.flightSearch(from, to, today));

    expect(await stack.cache.invalidateTags([Tags.flight(flightId)])).toBeGreaterThanOrEqual(2);
    expect((await get(paths.flight)).body.meta.source).toBe('database');
    expect((await get(paths.manifest)).body.meta.source).toBe('database');
    // The seat map has a tag of its own (bookings change it in place): the flight's tag leaves it.
    expect((await get(paths.seats)).body.meta.source).toBe('cache');
    expect((await get(paths.airport)).body.meta.source).toBe('cache');
    expect(await stack.cache.invalidateTags([Tags.seats(flightId)])).toBeGreaterThanOrEqual(1);
    expect((await get(paths.seats)).body.meta.source).toBe('database');
    if (offered !== flightId) expect(await stack.cache.client.exists(searchKey)).toBe(1);

    await stack.cache.invalidateTags([Tags.route(from, to, today)]);
    expect(await stack.cache.client.exists(searchKey)).toBe(0);
    expect((await get(paths.flight)).body.meta.source).toBe('cache');
  });

  it('unknown ids answer 404, and the "not found" is cached', async () => {
    for (const path of [
      '/api/flights/99999999',
      '/api/flights/99999999/manifest',
      '/api/flights/99999999/seats',
      '/api/passengers/ZZZZZZZZ9/flights',
      '/api/passengers/99999999/profile',
      '/api/airports/QQQ',
    ]) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.message).toEqual(expect.any(String));
    }
    expect(await stack.cache.client.get(stack.cache.key(Keys.flight(99999999)))).toBe('\u0000nf');
    expect(await stack.cache.client.hget(stack.cache.key(Keys.seatCounters(99999999)), 'found')).toBe('0');
    expect((await get('/api/flights/99999999')).status).toBe(404);
  });

  it.each([
    ['/api/flights/abc', 'flightId'],
    ['/api/flights/0', 'flightId'],
    ['/api/flights/-5/manifest', 'flightId'],
    ['/api/flights/99999999999/seats', 'flightId'],
    ['/api/flights/1?refresh=maybe', 'refresh'],
    ['/api/passengers/abc/flights', 'passportNo'],
    ["/api/passengers/P1'%20OR%201=1/flights", 'passportNo'],
    ['/api/passengers/1.5/profile', 'passengerId'],
    ['/api/passengers/sample?count=1000000', 'count'],
    ['/api/passengers/sample?count=ten', 'count'],
    ['/api/airports/jfk', 'iata'],
    ['/api/airports/JFKX', 'iata'],
    ['/api/airports?country=Germany%3B%20DROP%20TABLE%20airport', 'country'],
    ["/api/airports?country='%20OR%201=1%20--", 'country'],
    ['/api/airports?country=Germany&limit=1000000', 'limit'],
    ['/api/airports', 'country'],
    ['/api/search/flights?from=JF&to=LAX&date=2026-03-01', 'from'],
    ['/api/search/flights?from=JFK&to=JFK&date=2026-03-01', 'to'],
    ['/api/search/flights?from=KJF-&to=LAX&date=2026-03-01', 'from'],
    ['/api/search/flights?from=JFK&to=klax&date=2026-03-01', 'to'],
    ['/api/search/roundtrip?from=JFK&to=LAXXX&depart=2026-03-08&return=2026-03-09', 'to'],
    ['/api/search/flights?from=JFK&to=LAX&date=2026-02-30', 'date'],
    ['/api/search/flights?from=JFK&to=LAX&date=01.03.2026', 'date'],
    ['/api/search/flights?from=JFK&to=LAX', 'date'],
    ['/api/search/roundtrip?from=JFK&to=LAX&depart=2026-03-08&return=2026-03-01', 'return'],
    ['/api/routes/popular?limit=0', 'limit'],
    ['/api/routes/hubs?airports=ATL,or', 'airports'],
    ['/api/routes/hubs?limit=101', 'limit'],
    ['/api/queries/drop_table/explain', 'name'],
    ['/api/flights/1?unknown=1', 'unknown'],
  ])('bad input %s -> 400 naming %s', async (path, field) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect([].concat(res.body.message).join(' ')).toContain(field);
  });

  it('GET /api/stats: per-query counts and latencies across processes, Valkey INFO figures', async () => {
    await get(`/api/airports/ORD?refresh=true`);
    await get(`/api/airports/ORD`);
    // The query-service flushes its counters every 250 ms; do it now rather than wait.
    await stack.stats.flush();
    const res = await get('/api/stats');
    expect(res.status).toBe(200);
    const airport = res.body.queries.find((q: { queryClass: string }) => q.queryClass === 'airport');
    expect(airport.hits).toBeGreaterThanOrEqual(1);
    expect(airport.misses).toBeGreaterThanOrEqual(1);
    expect(airport.cache.p99Ms).toBeGreaterThan(0);
    expect(airport.speedup).toEqual(expect.any(Number));
    expect(res.body.valkey).toMatchObject({
      keyspaceHits: expect.any(Number),
      keyspaceMisses: expect.any(Number),
      usedMemory: expect.any(Number),
      evictedKeys: expect.any(Number),
      opsPerSec: expect.any(Number),
    });
  });

  it("DELETE /api/cache needs the admin credentials and removes only this project's keys", async () => {
    await get(`/api/flights/${flightId}`);
    const foreignKey = `cmiyc-reads-test-foreign:${Date.now()}`;
    await stack.cache.client.set(foreignKey, 'x', 'EX', 60);
    try {
      expect((await stack.http().delete('/api/cache')).status).toBe(401);
      const wrong = await stack
        .http()
        .delete('/api/cache')
        .set('Authorization', basicAuth(config.admin.user, 'nope'));
      expect(wrong.status).toBe(401);
      const ok = await stack
        .http()
        .delete('/api/cache')
        .set('Authorization', basicAuth(config.admin.user, config.admin.password));
      expect(ok.status).toBe(200);
      expect(ok.body.deleted).toBeGreaterThan(0);
      expect((await get(`/api/flights/${flightId}`)).body.meta.source).toBe('database');
      expect(await stack.cache.client.get(foreignKey)).toBe('x');
    } finally {
      await stack.cache.client.del(foreignKey);
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
