import { Queue } from 'bullmq';
import { AppConfig, Dialect, queueOptions, bind } from '@app/platform';
import { EVENTS, QUEUES, eventJobId, seatLayout, seatName } from '@app/contracts';
import { Keys, Tags, WriteKeys } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { EventHandlers } from '../../../apps/cache-warmer/src/event-handlers';
import { WarmerService } from '../../../apps/cache-warmer/src/warmer.service';
import {
  WriteStack,
  basicAuth,
  cleanDurableKeys,
  createHundredSeatFlight,
  eventually,
  freeSeat,
  passengerWithNothingAfter,
  Sql,
  startWriteStack,
} from './write-stack';

/**
 * Bookings in both modes, cancellation and flight updates over HTTP (gateway -> writer-service), with the
 * query-service reading and the cache-warmer consuming events, on a seeded database of each engine and real Redis.
 */
describe.each(TEST_ENGINES)('write path on %s', (engine) => {
  let config: AppConfig;
  let stack: WriteStack;
  let dropDb: () => Promise<void>;
  let passengers: Array<{ passengerId: number; passportNo: string }>;
  let sql: Sql;
  let nextPassenger = 0;
  const passenger = () => passengers[nextPassenger++ % passengers.length];

  beforeAll(async () => {
    config = testConfig(engine, { WRITE_BEHIND_BLOCK_MS: '50', WARM_EVERY_MS: '600000' });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config);
    const d = Dialect.of(stack.ds);
    sql = (text, named = {}) => stack.ds.query(...bind(d, text, named));
    passengers = (
      await sql('SELECT passenger_id, passportno FROM passenger ORDER BY passenger_id LIMIT 600')
    ).map((r) => ({
      passengerId: Number(r.passenger_id),
      passportNo: String(r.passportno).trim(),
    }));
  });

  afterAll(async () => {
    await stack?.cache.purgeCachedEntries().catch(() => undefined);
    await cleanDurableKeys(stack?.cache);
    await stack?.close();
    await dropDb?.();
  });

  const http = () => stack.http();

  async function bookingsOf(flightId: number, seat: string) {
    return sql('SELECT booking_id, passenger_id FROM booking WHERE flight_id = :flightId AND seat = :seat', {
      flightId,
      seat,
    });
  }

  async function untilSettled(reference: string) {
    return eventually(async () => {
      const r = await http().get(`/api/bookings/${reference}`);
      return r.body?.data?.status === 'pending' ? undefined : r;
    });
  }

  /** A flight of a daily route, with its departure day. */
  async function routeFlight() {
    const [from, to] = SEED_FIXTURES.dailyRoutes[0];
    // The last day of the seeded window: a booking there is the newest in any passenger's history.
    const day = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    const search = await http().get(`/api/search/flights?from=${from}&to=${to}&date=${day}`);
    expect(search.status).toBe(200);
    return { from, to, day, flightId: search.body.data[0].flightId as number };
  }

  it('write-through: 201 with the booking, and every read right after shows it (read-your-writes)', async () => {
    const { from, to, day, flightId } = await routeFlight();
    const p = await passengerWithNothingAfter(sql, flightId);
    const seat = await freeSeat(sql, flightId);
    // Cache what the booking will change, so stale copies would show if they were not brought up to date.
    const reads = [
      `/api/flights/${flightId}/manifest`,
      `/api/flights/${flightId}/seats`,
      `/api/passengers/${p.passportNo}/flights`,
      `/api/search/flights?from=${from}&to=${to}&date=${day}`,
    ];
    for (const path of reads) expect((await http().get(path)).status).toBe(200);
    const before = (await http().get(`/api/flights/${flightId}/seats`)).body;
    expect(before.meta.source).toBe('cache');

    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: p.passengerId, seat, price: 199.5, mode: 'write-through' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      flightId,
      passengerId: p.passengerId,
      seat,
      price: 199.5,
      mode: 'write-through',
    });
    expect(res.body.meta.source).toBe('database');
    const bookingId = res.body.data.bookingId;
    expect(await bookingsOf(flightId, seat)).toEqual([
      expect.objectContaining({ booking_id: expect.anything() }),
    ]);

    const [manifest, seats, history, search] = await Promise.all(reads.map((path) => http().get(path)));
    expect(manifest.body.data.map((m: { seat: string }) => m.seat)).toContain(seat);
    expect(seats.body.data.bookedSeats).toContain(seat);
    expect(seats.body.data.booked).toBe(before.data.booked + 1);
    // Kept warm: the booking changed the seat map and counters in place, so the read is still a hit.
    expect(seats.body.meta.source).toBe('cache');
    expect(history.body.data.flights.map((f: { bookingId: number }) => f.bookingId)).toContain(bookingId);
    const offer = search.body.data.find((f: { flightId: number }) => f.flightId === flightId);
    expect(offer.bookedSeats).toBe(before.data.booked + 1);
  });

  /** The passenger's profile, read twice so the second answer is known to come from the cache. */
  async function cachedProfile(passengerId: number) {
    await http().get(`/api/passengers/${passengerId}/profile`);
    const cached = await http().get(`/api/passengers/${passengerId}/profile`);
    expect(cached.body.meta.source).toBe('cache');
    return cached.body.data;
  }

  it('write-through keeps the cached profile warm: the booking is added in place, equal to a fresh load', async () => {
    const { from, to, flightId } = await routeFlight();
    const p = passenger();
    const before = await cachedProfile(p.passengerId);
    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: p.passengerId, seat: await freeSeat(sql, flightId), price: 123.45 });
    expect(res.status).toBe(201);

    const after = await http().get(`/api/passengers/${p.passengerId}/profile`);
    // Still a hit: updated in place, not dropped.
    expect(after.body.meta.source).toBe('cache');
    expect(after.body.data.totalFlights).toBe(before.totalFlights + 1);
    expect(after.body.data.totalSpent).toBeCloseTo(before.totalSpent + 123.45, 2);
    const route = (r: { frequentRoutes: Array<{ route: string; flights: number }> }) =>
      r.frequentRoutes.find((x) => x.route === `${from}-${to}`)?.flights ?? 0;
    expect(route(after.body.data)).toBeGreaterThanOrEqual(1);
    // Exactly what the database says now (airlines and airports counted once each).
    const fresh = await http().get(`/api/passengers/${p.passengerId}/profile?refresh=true`);
    expect(fresh.body.meta.source).toBe('database');
    expect(after.body.data).toEqual(fresh.body.data);
  });

  it('a profile stored after a booking began is dropped, not added to (it may already count the booking)', async () => {
    const { flightId } = await routeFlight();
    const p = passenger();
    const before = await cachedProfile(p.passengerId);
    // As if a load had read the database after the booking's transaction began: stamped later than its start.
    const profileKey = stack.cache.key(Keys.passengerProfile(p.passengerId));
    await stack.cache.guard((c) =>
      c.hset(profileKey, 'storedAtUs', String(BigInt(Date.now() + 3_600_000) * 1000n)),
    );
    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: p.passengerId, seat: await freeSeat(sql, flightId), price: 10 });
    expect(res.status).toBe(201);
    const after = await http().get(`/api/passengers/${p.passengerId}/profile`);
    expect(after.body.meta.source).toBe('database');
    expect(after.body.data.totalFlights).toBe(before.totalFlights + 1);
  });

  it('write-behind: 202 with a reference, the seat is taken at once, persisted shortly after', async () => {
    const { flightId } = await routeFlight();
    const p = passenger();
    const seat = await freeSeat(sql, flightId);
    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: p.passengerId, seat, price: 10, mode: 'write-behind' });
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual({ reference: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    expect(res.body.meta.source).toBe('cache');
    // Taken at once, for both modes.
    const again = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: passenger().passengerId, seat, price: 10 });
    expect(again.status).toBe(409);
    const settled = await untilSettled(res.body.data.reference);
    expect(settled.status).toBe(200);
    expect(settled.body.data).toMatchObject({
      status: 'persisted',
      flightId,
      seat,
      passengerId: p.passengerId,
      bookingId: expect.any(Number),
    });
    const rows = await bookingsOf(flightId, seat);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0].booking_id)).toBe(settled.body.data.bookingId);
    const seats = await http().get(`/api/flights/${flightId}/seats`);
    expect(seats.body.data.bookedSeats).toContain(seat);
  });

  it('a write-behind reservation survives its seat map expiring: the seat stays taken until persisted', async () => {
    const { flightId } = await routeFlight();
    const seat = await freeSeat(sql, flightId);
    // Hold the flusher back by taking the seat while nothing can persist it: reserve, then drop the cached map at
    // once (as an expiry would) before the flusher's next read; the rebuild must merge the pending reservation.
    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: passenger().passengerId, seat, price: 5, mode: 'write-behind' });
    expect(res.status).toBe(202);
    await stack.cache.delete([Keys.seatMap(flightId), Keys.seatCounters(flightId)]);
    const second = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: passenger().passengerId, seat, price: 5, mode: 'write-behind' });
    expect(second.status).toBe(409);
    await untilSettled(res.body.data.reference);
    expect(await bookingsOf(flightId, seat)).toHaveLength(1);
  });

  it('500 concurrent attempts on a 100-seat flight in both modes sell exactly 100 seats, none twice', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(stack.ds);
    const attempts = Array.from({ length: 500 }, (_, i) => ({
      flightId,
      passengerId: passengers[i % passengers.length].passengerId,
      seat: seatName(i % capacity, capacity),
      price: 50,
      mode: i % 2 === 0 ? 'write-through' : 'write-behind',
    }));
    const results = await Promise.all(attempts.map((body) => http().post('/api/bookings').send(body)));
    // Accepted, refused (the seat is taken), or, on a machine too busy to answer them all in time, the truthful
    // 503 (not done) / 504 (not known): nothing else, and each shown with its message.
    const unexpected = results
      .filter((r) => ![201, 202, 409, 503, 504].includes(r.status))
      .map((r) => `${r.status} ${r.body?.message ?? ''}`);
    expect(unexpected).toEqual([]);
    // The 503s and 504s are retried one by one, as a client would: each ends accepted or refused.
    for (const [i, r] of results.entries()) {
      if (r.status !== 503 && r.status !== 504) continue;
      results[i] = await http().post('/api/bookings').send(attempts[i]);
      expect([201, 202, 409]).toContain(results[i].status);
    }
    const accepted = results.filter((r) => r.status === 201 || r.status === 202);
    // A 504 whose booking went through is refused on retry (its own seat): accepted can be fewer than seats.
    expect(accepted.length).toBeLessThanOrEqual(capacity);
    const references = results.filter((r) => r.status === 202).map((r) => r.body.data.reference as string);
    const settled = await Promise.all(references.map((ref) => untilSettled(ref)));
    // The seat was reserved atomically against both modes, so no accepted write-behind booking is refused later.
    expect(settled.map((s) => s.body.data.status).filter((s) => s !== 'persisted')).toEqual([]);
    // Every seat sold exactly once (a write-behind booking answered 504 may still be on its way to the database).
    const rows = await eventually(async () => {
      const found = await sql('SELECT seat FROM booking WHERE flight_id = :flightId', { flightId });
      return found.length >= capacity ? found : undefined;
    }, 60_000);
    expect(rows).toHaveLength(capacity);
    expect(new Set(rows.map((r) => String(r.seat).trim())).size).toBe(capacity);
    const seats = await http().get(`/api/flights/${flightId}/seats?refresh=true`);
    expect(seats.body.data).toMatchObject({ capacity, booked: capacity, available: 0 });
  });

  it('cancellation frees the seat and is counted off the leaderboard', async () => {
    const { flightId } = await routeFlight();
    const seat = await freeSeat(sql, flightId);
    const created = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: passenger().passengerId, seat, price: 20 });
    expect(created.status).toBe(201);
    const bookingId = created.body.data.bookingId;
    await http().get(`/api/flights/${flightId}/seats`);
    const del = await http().delete(`/api/bookings/${bookingId}`);
    expect(del.status).toBe(200);
    expect(del.body.data).toMatchObject({ bookingId, flightId, seat, cancelled: true });
    expect(await bookingsOf(flightId, seat)).toHaveLength(0);
    const seats = await http().get(`/api/flights/${flightId}/seats`);
    expect(seats.body.data.bookedSeats).not.toContain(seat);
    expect(seats.body.meta.source).toBe('cache'); // freed in place
    expect((await http().delete(`/api/bookings/${bookingId}`)).status).toBe(404);
    // The seat can be sold again.
    const rebooked = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: passenger().passengerId, seat, price: 20 });
    expect(rebooked.status).toBe(201);
  });

  it('PATCH /api/flights/:id moves the flight with a flight_log row and refreshes the cached flight', async () => {
    const { flightId } = await routeFlight();
    const before = await http().get(`/api/flights/${flightId}`);
    expect(before.status).toBe(200);
    await http().get(`/api/flights/${flightId}/seats`);
    const departure = new Date(Date.parse(before.body.data.departure) + 2 * 3600_000).toISOString();
    const arrival = new Date(Date.parse(before.body.data.arrival) + 2 * 3600_000).toISOString();
    const res = await http()
      .patch(`/api/flights/${flightId}`)
      .send({ departure, arrival, comment: 'moved 2 hours later' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      flightId,
      departure,
      arrival,
      previous: { departure: before.body.data.departure },
    });
    const logs = await sql('SELECT comment FROM flight_log WHERE flight_id = :flightId', { flightId });
    expect(logs.map((l) => l.comment)).toContain('moved 2 hours later');
    // Refreshed, not merely dropped: the next read is a hit with the new times.
    const after = await http().get(`/api/flights/${flightId}`);
    expect(after.body.meta.source).toBe('cache');
    expect(after.body.data.departure).toBe(departure);
    // A flight change drops its seat map with it (Tags.seats): the next read builds it again.
    expect((await http().get(`/api/flights/${flightId}/seats`)).body.meta.source).toBe('database');
  });

  it('booking.created, once consumed, has removed the tagged entries: the next read is a miss', async () => {
    const { from, to, day, flightId } = await routeFlight();
    const p = passenger();
    const tagged = {
      [Keys.manifest(flightId)]: [Tags.flight(flightId)],
      [Keys.flightSearch(from, to, day)]: [Tags.route(from, to, day)],
      [Keys.passengerProfile(p.passengerId)]: [Tags.passenger(p.passengerId)],
    };
    for (const [key, tags] of Object.entries(tagged))
      await stack.cache.set(key, { stale: true }, { ttl: 600, tags });
    const seat = await freeSeat(sql, flightId);
    // Write-behind: nothing is invalidated synchronously, only by the event after the flusher persisted it.
    const res = await http()
      .post('/api/bookings')
      .send({ flightId, passengerId: p.passengerId, seat, price: 1, mode: 'write-behind' });
    expect(res.status).toBe(202);
    const settled = await untilSettled(res.body.data.reference);
    const events = new Queue(QUEUES.events, queueOptions(config));
    try {
      const jobId = eventJobId(EVENTS.bookingCreated, settled.body.data.bookingId);
      await eventually(async () => ((await events.getJobState(jobId)) === 'completed' ? true : undefined));
    } finally {
      await events.close();
    }
    // Its invalidation lag was measured and published where every process adds up (batched, so eventually).
    const lagKey = stack.cache.key(WriteKeys.invalidationLag());
    await eventually(async () => ((await stack.cache.client.llen(lagKey)) > 0 ? true : undefined));
    // Not hot: gone, so the next read is a miss that loads the booking.
    for (const key of [Keys.manifest(flightId), Keys.passengerProfile(p.passengerId)]) {
      expect([key, await stack.cache.client.exists(stack.cache.key(key))]).toEqual([key, 0]);
    }
    const manifest = await http().get(`/api/flights/${flightId}/manifest`);
    expect(manifest.body.meta.source).toBe('database');
    expect(manifest.body.data.map((m: { seat: string }) => m.seat)).toContain(seat);
    // The route is among the most searched (this suite searched it), so the warmer loaded its search again at once.
    const search = await http().get(`/api/search/flights?from=${from}&to=${to}&date=${day}`);
    expect(search.body.meta.source).toBe('cache');
    expect(search.body.data).not.toEqual({ stale: true });
    expect(search.body.data.find((f: { flightId: number }) => f.flightId === flightId)).toBeDefined();
  });

  it('leaderboard: an event applied twice counts once', async () => {
    const handlers = stack.warmer!.get(EventHandlers);
    const board = stack.cache.key(WriteKeys.airportLeaderboard());
    const payload = {
      occurredAt: new Date().toISOString(),
      bookingId: 999_999_001,
      reference: null,
      flightId: 1,
      passengerId: 1,
      passportNo: 'P00000001',
      seat: '1A',
      price: '1.00',
      fromIata: 'ZZA',
      toIata: 'ZZB',
      departureDate: '2030-01-01',
      mode: 'write-through' as const,
    };
    await handlers.handle(EVENTS.bookingCreated, payload, 'booking.created-999999001');
    await handlers.handle(EVENTS.bookingCreated, payload, 'booking.created-999999001');
    expect(Number(await stack.cache.client.zscore(board, 'ZZA'))).toBe(1);
    expect(Number(await stack.cache.client.zscore(board, 'ZZB'))).toBe(1);
  });

  it('re-warming one search for a burst of events on it runs once, plus once more after the last invalidation', async () => {
    const warmer = stack.warmer!.get(WarmerService);
    const [from, to] = SEED_FIXTURES.dailyRoutes[0];
    // A day no other test books on, so no event of theirs warms this search meanwhile.
    const day = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    // Counts the messages the warmer sends the (real) query-service; the calls themselves go through.
    const send = jest.spyOn(warmer as unknown as { send: () => Promise<void> }, 'send');
    try {
      await Promise.all(Array.from({ length: 10 }, () => warmer.warmSearch(from, to, day)));
      expect(send).toHaveBeenCalledTimes(2);
      // Settled: the next one runs on its own.
      await warmer.warmSearch(from, to, day);
      expect(send).toHaveBeenCalledTimes(3);
    } finally {
      send.mockRestore();
    }
    const search = await http().get(`/api/search/flights?from=${from}&to=${to}&date=${day}`);
    expect(search.body.meta.source).toBe('cache');
  });

  describe('bad input', () => {
    let flightId: number;
    let capacity: number;
    beforeAll(async () => {
      flightId = SEED_FIXTURES.dashboardFlightId;
      const [f] = await sql(
        'SELECT ap.capacity FROM flight f JOIN airplane ap ON ap.airplane_id = f.airplane_id WHERE f.flight_id = :flightId',
        { flightId },
      );
      capacity = Number(f.capacity);
    });
    const book = (body: object) => http().post('/api/bookings').send(body);
    const valid = () => ({ flightId, passengerId: passengers[0].passengerId, seat: '1A', price: 10 });

    it.each([
      ['flightId as a string', { flightId: '115' }, 'flightId'],
      ['a fractional price', { price: 10.123 }, 'price'],
      ['a negative price', { price: -1 }, 'price'],
      ['a malformed seat', { seat: '1Z9' }, 'seat'],
      ['an unknown mode', { mode: 'write-around' }, 'mode'],
      ['an extra field', { discount: 5 }, 'discount'],
    ])('%s -> 400 naming the field', async (_name, change, field) => {
      const res = await book({ ...valid(), ...change });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it('a missing field -> 400', async () => {
      const { seat: _seat, ...rest } = valid();
      const res = await book(rest);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('seat');
    });

    it('a seat that does not exist on the aircraft -> 400 in both modes', async () => {
      const { rows, letters } = seatLayout(capacity);
      for (const mode of ['write-through', 'write-behind']) {
        const res = await book({ ...valid(), seat: `${rows + 1}${letters[0]}`, mode });
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('does not exist');
      }
    });

    it('unknown flight or passenger -> 404 in both modes', async () => {
      for (const mode of ['write-through', 'write-behind']) {
        expect((await book({ ...valid(), flightId: 2_000_000_000, mode })).status).toBe(404);
        const res = await book({ ...valid(), passengerId: 2_000_000_000, mode });
        expect(res.status).toBe(404);
        expect(res.body.message).toContain('passenger');
      }
    });

    it('status, cancel and flight update: malformed -> 400, unknown -> 404', async () => {
      expect((await http().get('/api/bookings/not-a-reference')).status).toBe(400);
      expect((await http().get('/api/bookings/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await http().delete('/api/bookings/abc')).status).toBe(400);
      expect((await http().delete('/api/bookings/2000000000')).status).toBe(404);
      const times = { departure: '2030-01-01T10:00:00Z', arrival: '2030-01-01T12:00:00Z' };
      expect((await http().patch('/api/flights/2000000000').send(times)).status).toBe(404);
      expect(
        (
          await http()
            .patch(`/api/flights/${flightId}`)
            .send({ ...times, arrival: '2030-01-01T09:00:00Z' })
        ).status,
      ).toBe(400);
      expect(
        (
          await http()
            .patch(`/api/flights/${flightId}`)
            .send({ ...times, departure: 'tomorrow' })
        ).status,
      ).toBe(400);
      expect(
        (
          await http()
            .patch(`/api/flights/${flightId}`)
            .send({ ...times, gate: 'B12' })
        ).status,
      ).toBe(400);
    });
  });

  it('Bull Board at /queues requires the admin credentials', async () => {
    expect((await http().get('/queues')).status).toBe(401);
    expect((await http().get('/queues').set('Authorization', basicAuth('admin', 'wrong'))).status).toBe(401);
    const ok = await http()
      .get('/queues')
      .set('Authorization', basicAuth(config.admin.user, config.admin.password));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<html');
  });
});
