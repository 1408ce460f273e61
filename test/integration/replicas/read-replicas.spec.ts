import { AppConfig, Dialect, ReadReplicas, bind } from '@app/platform';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { readQueries } from '../../../apps/query-service/src/reads/read-queries';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { ReplicaPair } from '../../support/replica-pair';
import {
  Sql,
  WriteStack,
  cleanDurableKeys,
  eventually,
  freeSeat,
  passengerWithNothingAfter,
  startWriteStack,
} from '../writes/write-stack';

/**
 * Read replicas against a real primary/replica pair of each engine, started by the suite (MariaDB with GTID
 * replication, PostgreSQL with a streaming standby): the read path's queries go to the replica, a write answered
 * by the API is seen by the next read however far the replica lags (the replica-lag policy of ReadReplicas), and a
 * dead replica sends reads to the primary while /health says "degraded".
 */
describe.each(TEST_ENGINES)('read replicas on %s', (engine) => {
  let pair: ReplicaPair;
  let config: AppConfig;
  let stack: WriteStack;
  let replicas: ReadReplicas;
  let dropDb: (() => Promise<void>) | undefined;
  let sql: Sql;
  const flightId = SEED_FIXTURES.dashboardFlightId;
  const http = () => stack.http();

  beforeAll(async () => {
    pair = await ReplicaPair.start(engine);
    config = testConfig(engine, {
      ...pair.env,
      DB_REPLICA_MAX_LAG_MS: '300',
      DB_REPLICA_RETRY_MS: '300',
      WRITE_BEHIND_BLOCK_MS: '50',
      WARM_EVERY_MS: '600000',
      // Every read asked of the query-service is its own: no near cache answering from memory.
      CACHE_NEAR_MAX_BYTES: '0',
    });
    dropDb = await createSeededTestDatabase(config);
    await pair.caughtUp();
    stack = await startWriteStack(config);
    replicas = stack.query!.get(ReadReplicas);
    const d = Dialect.of(stack.ds);
    sql = (text, named = {}) => stack.ds.query(...bind(d, text, named));
  }, 240000);

  afterAll(async () => {
    await stack?.cache.purgeCachedEntries().catch(() => undefined);
    await cleanDurableKeys(stack?.cache);
    await stack?.close();
    await dropDb?.().catch(() => undefined);
    await pair?.stop();
  });

  /** The query-service's reads counted on each node while `work` runs. */
  async function counted(work: () => Promise<void>): Promise<{ replica: number; primary: number }> {
    const before = { ...replicas.counts };
    await work();
    return {
      replica: replicas.counts.replica - before.replica,
      primary: replicas.counts.primary - before.primary,
    };
  }

  /** Waits until a read that misses the cache is answered by the replica again. */
  async function readsGoToReplica(): Promise<void> {
    await eventually(async () => {
      const n = await counted(async () => {
        expect((await http().get('/api/airports/LAX?refresh=true')).status).toBe(200);
      });
      return n.replica === 1 ? true : undefined;
    });
  }

  /** The query-service's database report as GET /health shows it (the stack runs no weather-service: 503). */
  async function databaseHealth(): Promise<Record<string, unknown>> {
    const res = await http().get('/health');
    return res.body.details.database;
  }

  it('answers reads from the replica: the primary only gives its replication position', async () => {
    const path = '/api/airports/JFK';
    if (engine === 'mysql') {
      // A change made on the replica alone (its binary log is off: it never reaches the primary).
      const [original] = await pair.query(
        pair.primary,
        'SELECT name FROM airport WHERE iata = ?',
        ['JFK'],
        config.db.name,
      );
      await pair.query(
        pair.replica,
        `UPDATE airport SET name = 'Seen on the replica' WHERE iata = 'JFK'`,
        [],
        config.db.name,
      );
      try {
        const n = await counted(async () => {
          const res = await http().get(path);
          expect(res.status).toBe(200);
          expect(res.body.meta.source).toBe('database');
          expect(res.body.data.name).toBe('Seen on the replica');
        });
        expect(n).toEqual({ replica: 1, primary: 0 });
      } finally {
        await pair.query(
          pair.replica,
          'UPDATE airport SET name = ? WHERE iata = ?',
          [original.name, 'JFK'],
          config.db.name,
        );
      }
    } else {
      // A standby cannot be written to: its activity view shows the statement ran there, and not on the primary.
      const [text] = bind(Dialect.of(stack.ds), readQueries(Dialect.of(stack.ds)).airport, { iata: 'JFK' });
      const ran = (node: typeof pair.primary) =>
        pair
          .query(node, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query = $2', [
            config.db.name,
            text,
          ])
          .then(([r]) => Number(r.n));
      expect(await ran(pair.replica)).toBe(0);
      const n = await counted(async () => {
        const res = await http().get(path);
        expect(res.status).toBe(200);
        expect(res.body.meta.source).toBe('database');
        expect(res.body.data.iata).toBe('JFK');
      });
      expect(n).toEqual({ replica: 1, primary: 0 });
      expect(await ran(pair.replica)).toBeGreaterThan(0);
      expect(await ran(pair.primary)).toBe(0);
    }
    // A leaderboard build (LeaderboardsRepository) reads there too.
    const day = new Date().toISOString().slice(0, 10);
    const board = await counted(async () => {
      const res = await http().get(`/api/leaderboards/airports?date=${day}&by=flights&limit=5`);
      expect(res.status).toBe(200);
      expect(res.body.meta.source).toBe('database');
      expect(res.body.data.top.length).toBeGreaterThan(0);
    });
    expect(board).toEqual({ replica: 1, primary: 0 });
    expect(await databaseHealth()).toMatchObject({
      status: 'up',
      replicas: [{ state: 'up', replica: expect.stringContaining(`:${pair.replica.port}`) }],
    });
  });

  it('a booking answered by the API is in the next read while the replica has not applied it (read-your-writes)', async () => {
    const manifest = `/api/flights/${flightId}/manifest`;
    // A passenger with no booking departing after the flight: the booking heads their history.
    const { passengerId, passportNo } = await passengerWithNothingAfter(sql, flightId);
    const history = `/api/passengers/${passportNo}/flights`;
    // Cached before the write, so a refill with the replica's old rows would show.
    for (const path of [manifest, history]) {
      expect((await http().get(path)).status).toBe(200);
      expect((await http().get(path)).body.meta.source).toBe('cache');
    }

    await pair.pauseReplication();
    try {
      const seat = await freeSeat(sql, flightId);
      const booked = await http()
        .post('/api/bookings')
        .send({ flightId, passengerId, seat, price: 99, mode: 'write-through' });
      expect(booked.status).toBe(201);
      // The replica really lacks it: a read served there would miss the booking.
      const onReplica = await pair.query(
        pair.replica,
        `SELECT count(*) AS n FROM booking WHERE flight_id = ${flightId} AND passenger_id = ${passengerId}`,
        [],
        config.db.name,
      );
      expect(Number(onReplica[0].n)).toBe(0);

      // The booking dropped the cached manifest: it is loaded again (by this read, or by the warmer's refresh) from
      // the primary, since the replica has not replayed the primary's position.
      const n = await counted(async () => {
        const res = await http().get(manifest);
        expect(res.status).toBe(200);
        expect(res.body.data).toContainEqual(expect.objectContaining({ passengerId, seat }));
      });
      expect(n.replica).toBe(0);
      expect(n.primary).toBeGreaterThanOrEqual(1);
      // What was cached is the primary's: the next read is a hit, with the booking.
      const again = await http().get(manifest);
      expect(again.body.meta.source).toBe('cache');
      expect(again.body.data).toContainEqual(expect.objectContaining({ passengerId, seat }));
      // The passenger's history, dropped by the passenger's tag (learnt from the value when it was cached).
      const flights = await http().get(history);
      expect(flights.status).toBe(200);
      expect(flights.body.data.flights).toContainEqual(expect.objectContaining({ flightId, seat }));

      const health = await databaseHealth();
      expect(health).toMatchObject({ status: 'up', state: 'degraded' });
      expect(health.message).toMatch(/is behind/);
    } finally {
      await pair.resumeReplication();
    }
    await pair.caughtUp();
    // Caught up: reads go to the replica again (after DB_REPLICA_RETRY_MS at the latest).
    await readsGoToReplica();
    expect(await databaseHealth()).toMatchObject({ status: 'up', replicas: [{ state: 'up' }] });
  });

  it('a dead replica: reads answer from the primary, /health says degraded; back, reads go to it again', async () => {
    await pair.killReplica();
    try {
      const n = await counted(async () => {
        for (const path of ['/api/airports/LAX?refresh=true', `/api/flights/${flightId}?refresh=true`]) {
          const res = await http().get(path);
          expect(res.status).toBe(200);
          expect(res.body.meta.source).toBe('database');
        }
      });
      expect(n).toEqual({ replica: 0, primary: 2 });
      const health = await databaseHealth();
      expect(health).toMatchObject({ status: 'up', state: 'degraded', replicas: [{ state: 'down' }] });
      expect(health.message).toContain(`:${pair.replica.port}`);
    } finally {
      await pair.replica.start();
    }
    await pair.caughtUp();
    await readsGoToReplica();
    expect(await databaseHealth()).toMatchObject({ status: 'up', replicas: [{ state: 'up' }] });
  });

  it('a hung replica: reads answer from the primary, /health says degraded in time; thawed, reads go to it again', async () => {
    // The query-service holds connections to it: the next read waits on a server that never answers.
    pair.replica.freeze();
    try {
      const n = await counted(async () => {
        const res = await http().get('/api/airports/LAX?refresh=true');
        expect(res.status).toBe(200);
        expect(res.body.meta.source).toBe('database');
      });
      expect(n).toEqual({ replica: 0, primary: 1 });
      // Within the 2 s the gateway gives the query-service's report (else it would say the service is down).
      const health = await databaseHealth();
      expect(health).toMatchObject({ status: 'up', state: 'degraded', replicas: [{ state: 'down' }] });
      expect(health.message).toMatch(/no answer within/);
    } finally {
      pair.replica.thaw();
    }
    await readsGoToReplica();
  });

  it('a dead primary: a read that misses the cache is a 503 naming the primary, not an answer from the replica', async () => {
    await pair.primary.stop(engine === 'postgres' ? 'SIGQUIT' : 'SIGKILL');
    try {
      const res = await http().get('/api/airports/LAX?refresh=true');
      expect(res.status).toBe(503);
      expect(res.body.message).toContain(`127.0.0.1:${pair.primary.port}`);
    } finally {
      await pair.primary.start();
    }
    await pair.caughtUp();
    await eventually(async () => {
      const res = await http().get('/api/airports/LAX?refresh=true');
      return res.status === 200 ? true : undefined;
    });
  });
});
