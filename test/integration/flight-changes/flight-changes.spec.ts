import { INestApplicationContext } from '@nestjs/common';
import { AppConfig, Dialect, bind } from '@app/platform';
import { DurableWriteKeys, Keys } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import {
  WriteStack,
  cleanDurableKeys,
  eventually,
  startWriteStack,
  startWriterContext,
} from '../writes/write-stack';

jest.setTimeout(120_000);

/**
 * Write-behind flight changes and the guided path, on a seeded database of each engine and real Valkey: changes
 * are accepted at cache speed (the cached flight shows them at once), persisted later in order with every
 * flight_log row, several changes to one flight in one batch cost one UPDATE, and a replayed entry applies nothing
 * twice. The guided path: flight 115 is an upcoming JFK -> LAX flight, a departed flight cannot be booked, and
 * "Random 10" draws a new sample every time.
 */
describe.each(TEST_ENGINES)('write-behind flight changes on %s', (engine) => {
  let config: AppConfig;
  let stack: WriteStack;
  let flusher: INestApplicationContext | undefined;
  let dropDb: () => Promise<void>;
  let sql: (text: string, named?: Record<string, unknown>) => Promise<Array<Record<string, unknown>>>;
  const http = () => stack.http();

  beforeAll(async () => {
    config = testConfig(engine, { WRITE_BEHIND_BLOCK_MS: '50', WARM_EVERY_MS: '600000' });
    dropDb = await createSeededTestDatabase(config);
    // This process accepts changes but does not flush them: the test starts the flusher when it wants the batch.
    stack = await startWriteStack(config, { flusher: false });
    const d = Dialect.of(stack.ds);
    sql = (text, named = {}) => stack.ds.query(...bind(d, text, named));
  });

  afterAll(async () => {
    await flusher?.close();
    await stack?.cache.purgeCachedEntries().catch(() => undefined);
    await cleanDurableKeys(stack?.cache);
    await stack?.close();
    await dropDb?.();
  });

  const times = async (flightId: number) => {
    const [r] = await sql('SELECT departure, arrival FROM flight WHERE flight_id = :flightId', { flightId });
    return { departure: new Date(r.departure as string).toISOString(), arrival: r.arrival };
  };
  const logRows = async (flightId: number) =>
    Number(
      (await sql('SELECT COUNT(*) AS n FROM flight_log WHERE flight_id = :flightId', { flightId }))[0].n,
    );
  const totals = async () => (await http().get('/api/flight-changes')).body.data;

  it('coalesces 30 changes to 3 flights into 3 UPDATEs, keeps 30 flight_log rows, and shows each change at once', async () => {
    const flights = [201, 202, 203];
    const before = await totals();
    const base = Date.UTC(2030, 0, 1, 8);
    const last = new Map<number, string>();
    const references: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const flightId of flights) {
        const departure = new Date(base + (i * 10 + flightId) * 60_000).toISOString();
        const arrival = new Date(Date.parse(departure) + 2 * 3600_000).toISOString();
        const res = await http()
          .patch(`/api/flights/${flightId}`)
          .send({ departure, arrival, comment: `change ${i}`, mode: 'write-behind' });
        expect(res.status).toBe(202);
        expect(res.body.data).toMatchObject({ status: 'pending', flightId, seq: i + 1, departure });
        references.push(res.body.data.reference);
        last.set(flightId, departure);
        // Read-your-writes before the database has it: the cached flight (or a load, with the pending change laid
        // over it) shows the new times.
        const read = await http().get(`/api/flights/${flightId}`);
        expect(read.body.data.departure).toBe(departure);
      }
    }
    const untouched = await times(201);
    expect(untouched.departure).not.toBe(last.get(201));
    expect((await totals()).accepted - before.accepted).toBe(30);

    flusher = await startWriterContext(config, { flusher: true });
    await eventually(async () => ((await totals()).persisted - before.persisted === 30 ? true : undefined));
    const after = await totals();
    expect(after.updates - before.updates).toBe(3);
    // One batch per stream: one on one server; on a cluster, one per shard the three flights fall in.
    const streams = new Set(flights.map((f) => stack.cache.keySpace.shardOf(Keys.flight(f)))).size;
    expect(after.batches - before.batches).toBe(streams);
    expect(after.pending).toBe(0);
    for (const flightId of flights) {
      expect((await times(flightId)).departure).toBe(last.get(flightId));
      expect(await logRows(flightId)).toBe(10);
    }
    // references[0] is a change of flight 201: its batch held every change of the flights in 201's shard.
    const batchMates = flights.filter(
      (f) => stack.cache.keySpace.shardOf(Keys.flight(f)) === stack.cache.keySpace.shardOf(Keys.flight(201)),
    ).length;
    const status = await http().get(`/api/flight-changes/${references[0]}`);
    expect(status.body.data).toMatchObject({
      status: 'persisted',
      batchChanges: 10 * batchMates,
      batchUpdates: batchMates,
    });
    // The flight is read from the database again, with the last change.
    const read = await http().get(`/api/flights/201?refresh=true`);
    expect(read.body.data.departure).toBe(last.get(201));
  });

  it('a replayed stream entry (a flusher died before acknowledging) applies nothing twice', async () => {
    const flightId = 204;
    const departure = new Date(Date.UTC(2030, 1, 1, 9)).toISOString();
    const arrival = new Date(Date.UTC(2030, 1, 1, 11)).toISOString();
    const res = await http()
      .patch(`/api/flights/${flightId}`)
      .send({ departure, arrival, mode: 'write-behind' });
    expect(res.status).toBe(202);
    const reference = res.body.data.reference as string;
    await eventually(async () =>
      (await http().get(`/api/flight-changes/${reference}`)).body.data.status === 'persisted'
        ? true
        : undefined,
    );
    expect(await logRows(flightId)).toBe(1);
    const before = await totals();
    // The same entry again, as a flusher that died between commit and XACK leaves it for XAUTOCLAIM.
    await stack.cache.client.xadd(
      stack.cache.key(DurableWriteKeys.flightChangeStream()),
      '*',
      'reference',
      reference,
      'flightId',
      String(flightId),
      'seq',
      '1',
      'departure',
      departure,
      'arrival',
      arrival,
      'comment',
      '',
      'acceptedAt',
      new Date().toISOString(),
    );
    await eventually(async () => ((await totals()).batches > before.batches ? true : undefined));
    expect(await logRows(flightId)).toBe(1);
    expect((await totals()).updates).toBe(before.updates);
  });

  it('refuses arrival before departure (400) and an unknown flight (404)', async () => {
    const bad = await http()
      .patch('/api/flights/201')
      .send({ departure: '2030-01-01T10:00:00Z', arrival: '2030-01-01T09:00:00Z', mode: 'write-behind' });
    expect(bad.status).toBe(400);
    const unknown = await http()
      .patch('/api/flights/999999999')
      .send({ departure: '2030-01-01T10:00:00Z', arrival: '2030-01-01T11:00:00Z', mode: 'write-behind' });
    expect(unknown.status).toBe(404);
  });

  describe('guided path', () => {
    it('flight 115 is an upcoming JFK -> LAX flight with bookings and free seats', async () => {
      const flight = await http().get(`/api/flights/${SEED_FIXTURES.dashboardFlightId}`);
      expect(flight.body.data).toMatchObject({
        status: 'upcoming',
        from: { iata: SEED_FIXTURES.dashboardRoute[0] },
        to: { iata: SEED_FIXTURES.dashboardRoute[1] },
      });
      const seats = await http().get(`/api/flights/${SEED_FIXTURES.dashboardFlightId}/seats`);
      expect(seats.body.data.booked).toBeGreaterThan(0);
      expect(seats.body.data.available).toBeGreaterThan(0);
    });

    it('a booking on a flight that has departed is refused with 422, in both modes', async () => {
      const [past] = await sql(
        'SELECT flight_id FROM flight WHERE departure < :now ORDER BY flight_id LIMIT 1',
        {
          now: new Date(Date.now() - 86_400_000).toISOString().slice(0, 19).replace('T', ' '),
        },
      );
      for (const mode of ['write-through', 'write-behind']) {
        const res = await http()
          .post('/api/bookings')
          .send({ flightId: Number(past.flight_id), passengerId: 1, seat: '1A', price: 10, mode });
        expect({ mode, status: res.status }).toEqual({ mode, status: 422 });
        expect(JSON.stringify(res.body.message)).toContain('departed');
      }
    });

    it('"Random 10" is a new sample on every request, from the cache after the first', async () => {
      const samples = [];
      for (let i = 0; i < 4; i++) samples.push((await http().get('/api/passengers/sample?count=10')).body);
      expect(samples.every((s) => s.data.length === 10)).toBe(true);
      const ids = samples.map((s) => s.data.map((p: { passengerId: number }) => p.passengerId).join(','));
      expect(new Set(ids).size).toBeGreaterThan(1);
      expect(samples.slice(1).map((s) => s.meta.source)).toEqual(['cache', 'cache', 'cache']);
      expect((await http().get('/api/passengers/sample?count=3')).body.data).toHaveLength(3);
    });
  });
});
