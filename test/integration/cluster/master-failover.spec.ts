import calculateSlot from 'cluster-key-slot';
import Valkey from 'iovalkey';
import { AppConfig, Dialect, bind } from '@app/platform';
import { Keys } from '@app/cache';
import { seatName } from '@app/contracts';
import { RedisCluster } from '../../support/redis-cluster';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { createSeededTestDatabase } from '../../support/seeded';
import { eventually } from '../../support/eventually';
import { reportIfSlow } from '../../support/slow-step';
import {
  Sql,
  WriteStack,
  cleanDurableKeys,
  createHundredSeatFlight,
  startWriteStack,
} from '../writes/write-stack';

type HealthSample = { status: number; valkey?: { status?: string; message?: string } };
const isValkeyDown = (h: HealthSample) => h.status === 503 && h.valkey?.status === 'down';

/** An admin connection to the replica of the master serving `slot`. */
async function replicaOf(cluster: RedisCluster, slot: number): Promise<Valkey> {
  const master = (await cluster.masters()).find((m) => m.slots.some(([a, b]) => slot >= a && slot <= b))!;
  const admin = new Valkey({ host: '127.0.0.1', port: master.port, maxRetriesPerRequest: 0 });
  try {
    const id = String(await admin.call('CLUSTER', 'MYID'));
    const [line] = (await admin.call('CLUSTER', 'REPLICAS', id)) as string[];
    const port = Number(line.split(' ')[1].split('@')[0].split(':').pop());
    return new Valkey({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
  } finally {
    admin.disconnect();
  }
}

/**
 * A master of the Valkey Cluster is killed (SIGKILL) under mixed load: write-behind bookings on the flight whose
 * shard it holds, and reads of that flight. Reads keep answering (from the database while the shard is down),
 * /health names the failure, and no booking that was answered 202 is lost once the replica is promoted: a 202
 * is given only after a replica acknowledged it (CACHE_WAIT_REPLICAS=1).
 */
describe.each(TEST_ENGINES)('a cluster master dies under load (%s)', (engine) => {
  let cluster: RedisCluster;
  let config: AppConfig;
  let stack: WriteStack;
  let dropDb: () => Promise<void>;
  let sql: Sql;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    config = testConfig(engine, {
      CACHE_CLUSTER_NODES: cluster.nodeList,
      CACHE_WAIT_REPLICAS: '1',
      WRITE_BEHIND_BLOCK_MS: '50',
      WRITE_BEHIND_CLAIM_IDLE_MS: '2000',
      WARM_EVERY_MS: '600000',
    });
    dropDb = await createSeededTestDatabase(config);
    stack = await startWriteStack(config);
    sql = (text, named = {}) => stack.ds.query(...bind(Dialect.of(stack.ds), text, named));
  });

  afterAll(async () => {
    const step = (name: string, run: () => Promise<unknown>) =>
      reportIfSlow(`master-failover (${engine}) teardown, ${name}`, run);
    await step('deleting the keys', () => cleanDurableKeys(stack?.cache).catch(() => undefined));
    await step('stopping the stack', async () => stack?.close());
    await step('dropping the database', async () => dropDb?.());
    await step('stopping the cluster', async () => cluster?.stop());
  });

  it('reads answer, /health reports it, and every booking answered 202 is persisted once', async () => {
    const { flightId, capacity } = await createHundredSeatFlight(stack.ds);
    const passengers = (
      await sql('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT :n', { n: capacity })
    ).map((r) => Number(r.passenger_id));
    const http = () => stack.http();
    // Warm: the flight and its seat map are cached on the master about to die.
    expect((await http().get(`/api/flights/${flightId}`)).status).toBe(200);
    expect((await http().get(`/api/flights/${flightId}/seats`)).status).toBe(200);

    const bookings: {
      seat: string;
      passengerId: number;
      status: number;
      reference?: string;
      error?: string;
    }[] = [];
    // Statuses, or why a request got no answer.
    const reads: Array<number | string> = [];
    const health: HealthSample[] = [];
    let next = 0;
    let stop = false;
    const book = async () => {
      while (!stop && next < capacity) {
        const i = next++;
        const body = {
          flightId,
          passengerId: passengers[i],
          seat: seatName(i, capacity),
          price: 10,
          mode: 'write-behind',
        };
        // No answer at all is recorded too (status 0, with the error), and the load goes on: the checks below
        // then name it, instead of the load stopping quietly.
        const res = await http()
          .post('/api/bookings')
          .set('Connection', 'close')
          .send(body)
          .catch((e: Error) => ({ status: 0, body: { message: e.message } }));
        const reference =
          res.body?.data?.reference ?? /booking ([0-9a-f-]{36})/.exec(String(res.body?.message))?.[1];
        bookings.push({
          seat: body.seat,
          passengerId: body.passengerId,
          status: res.status,
          reference,
          ...(res.status === 0 ? { error: String(res.body?.message) } : {}),
        });
      }
    };
    const read = async () => {
      while (!stop) {
        const res = await http()
          .get(`/api/flights/${flightId}`)
          .set('Connection', 'close')
          .catch((e: Error) => ({ status: `no answer: ${e.message}` }));
        reads.push(res.status);
      }
    };
    const watchHealth = async () => {
      while (!stop) {
        // A request that fails is a sample too (status 0): the watch goes on, and the failure is shown.
        const sample = await http()
          .get('/health')
          .set('Connection', 'close')
          .then(
            (res): HealthSample => ({
              status: res.status,
              valkey: (res.body?.details ?? res.body?.error)?.valkey,
            }),
            (e: Error): HealthSample => ({ status: 0, valkey: { message: e.message } }),
          );
        health.push(sample);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const load = Promise.all([book(), book(), read(), watchHealth()]);
    let killedAt: number;
    let healthyAt: number;
    try {
      // Some bookings in, then the master of the flight's shard goes.
      await eventually(async () => (bookings.length >= 10 ? true : undefined), 60_000);
      killedAt = bookings.length;
      const slot = calculateSlot(stack.cache.key(Keys.seatMap(flightId)));
      // Its replica takes over when the test says so, not by itself: the outage lasts until /health has reported
      // it, however slowly a busy machine answers.
      const replica = await replicaOf(cluster, slot);
      await replica.config('SET', 'cluster-replica-no-failover', 'yes');
      const killed = await cluster.killMasterOf(slot);
      await eventually(async () => (health.some(isValkeyDown) ? true : undefined), 60_000).catch((e) => {
        const seen = health.slice(-5).map((h) => JSON.stringify(h));
        throw new Error(
          `${(e as Error).message}; ${health.length} /health answers, the last: ${seen.join(' ')}`,
        );
      });
      await replica.call('CLUSTER', 'FAILOVER', 'TAKEOVER');
      replica.disconnect();
      await cluster.waitUntilHealthy();
      // The promoted replica has no replica of its own: until one is back, no write can be confirmed safe (504).
      await cluster.restart(killed);
      // And load goes on past the failover, until bookings are accepted again.
      healthyAt = bookings.length;
      await eventually(
        async () =>
          bookings.slice(healthyAt).filter((b) => b.status === 202).length >= 5 || next >= capacity
            ? true
            : undefined,
        60_000,
      );
    } finally {
      stop = true; // a failure above stops the load too, before the stack is stopped under it
    }
    await load;

    // Only the truth: accepted, refused as unavailable, or unknown with a reference to ask about. Never a 500.
    expect(bookings.filter((b) => ![202, 503, 504].includes(b.status))).toEqual([]);
    expect(reads.filter((s) => s !== 200)).toEqual([]);
    // The outage was reported, naming the cache.
    const reported = health.filter(isValkeyDown);
    expect(reported.length).toBeGreaterThan(0);
    expect(JSON.stringify(reported[0].valkey)).toMatch(/cluster|connect|closed|timed out|answer/i);
    // Bookings were accepted before and after the failover.
    expect(bookings.slice(0, killedAt).some((b) => b.status === 202)).toBe(true);
    expect(bookings.slice(healthyAt).filter((b) => b.status === 202).length).toBeGreaterThanOrEqual(5);

    // Every 202 is in the database exactly once (the promoted replica had it; the flushers drain its stream).
    const accepted = bookings.filter((b) => b.status === 202);
    const persistedSeats = async () =>
      new Set(
        (await sql('SELECT seat FROM booking WHERE flight_id = :flightId', { flightId })).map((r) =>
          String(r.seat).trim(),
        ),
      );
    await eventually(
      async () => {
        const seats = await persistedSeats();
        return accepted.every((b) => seats.has(b.seat)) ? true : undefined;
      },
      90_000,
      250,
    ).catch(async (e) => {
      const seats = await persistedSeats();
      const missing = accepted.filter((b) => !seats.has(b.seat));
      const statuses = await Promise.all(
        missing.map(async (b) => (await http().get(`/api/bookings/${b.reference}`)).body),
      );
      process.stderr.write(`MISSING ${JSON.stringify(missing)} ${JSON.stringify(statuses)}\n`);
      throw e;
    });
    const rows = await sql(
      'SELECT seat, COUNT(*) AS n FROM booking WHERE flight_id = :flightId GROUP BY seat',
      {
        flightId,
      },
    );
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    // A 503 was not accepted: that seat stays free of its passenger.
    const seats = await persistedSeats();
    for (const b of bookings.filter((x) => x.status === 503)) expect(seats.has(b.seat)).toBe(false);
    // A 504 names its reference, and its status tells what became of it: persisted, or unknown (404).
    for (const b of bookings.filter((x) => x.status === 504)) {
      expect(b.reference).toMatch(/^[0-9a-f-]{36}$/);
      const status = await eventually(async () => {
        const res = await http().get(`/api/bookings/${b.reference}`);
        return res.status === 200 && res.body.data.status === 'pending' ? undefined : res;
      }, 90_000);
      expect([200, 404]).toContain(status.status);
      expect(status.status === 200).toBe(seats.has(b.seat));
    }
    // /health says Valkey is whole again (the stack runs no weather-service or warmer listener: those stay down).
    let last: unknown;
    await eventually(async () => {
      const res = await http().get('/health');
      last = res.body?.details?.valkey;
      return res.body?.details?.valkey?.status === 'up' ? true : undefined;
    }, 60_000).catch((e) => {
      throw new Error(`Valkey not reported up again: ${JSON.stringify(last)}`, { cause: e });
    });
  });
});
