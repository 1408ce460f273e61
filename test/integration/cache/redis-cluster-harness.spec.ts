import Valkey, { Cluster } from 'iovalkey';
import calculateSlot from 'cluster-key-slot';
import { RedisCluster } from '../../support/redis-cluster';
import { TEST_KEY_PREFIX, testRunId } from '../../support/test-run';

/**
 * The RedisCluster test harness itself, with a real cluster of redis-server processes (3 masters, 1 replica each)
 * and iovalkey's cluster client: it is created whole, serves keys on every master, fails over when a master is
 * killed (a write acknowledged by a replica through WAIT survives), takes the killed node back as a replica,
 * and flushes every master. Every wait polls the nodes' own state: no fixed sleeps.
 */
describe('RedisCluster harness (real Redis Cluster)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const prefix = `${TEST_KEY_PREFIX}${testRunId()}cluster:`;

  /** The port of the master that serves `slot`, by the cluster's own view. */
  async function masterOf(slot: number): Promise<number | undefined> {
    const masters = await cluster.masters();
    return masters.find((m) => m.slots.some(([a, b]) => a <= slot && slot <= b))?.port;
  }

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0] }], {
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      redisOptions: { connectTimeout: 2000 },
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    await client.connect();
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('is created whole: 3 masters covering all 16384 slots, each with a synced replica', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.nodeList.split(',')).toEqual(cluster.nodes.map((p) => `127.0.0.1:${p}`));
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const covered = masters.flatMap((m) => m.slots).reduce((n, [a, b]) => n + b - a + 1, 0);
    expect(covered).toBe(16384);
    const roles = await cluster.roles();
    expect(roles.filter((r) => r.role === 'master').map((r) => r.port)).toEqual(
      expect.arrayContaining(masters.map((m) => m.port)),
    );
    expect(roles.filter((r) => r.role === 'replica')).toHaveLength(3);
  });

  it('serves keys on every master through a cluster client', async () => {
    const masters = await cluster.masters();
    const keyOf = new Map<number, string>(); // one key per master
    for (let i = 0; keyOf.size < masters.length && i < 10000; i++) {
      const key = `${prefix}spread:${i}`;
      const port = await masterOf(calculateSlot(key));
      if (port !== undefined && !keyOf.has(port)) keyOf.set(port, key);
    }
    expect([...keyOf.keys()].sort()).toEqual(masters.map((m) => m.port).sort());
    for (const [port, key] of keyOf) await client.set(key, `on ${port}`);
    for (const [port, key] of keyOf) expect(await client.get(key)).toBe(`on ${port}`);
  });

  it("fails over when a key's master is killed: a write a replica acknowledged survives, writes are served again, and the killed node rejoins as a replica", async () => {
    const key = `${prefix}{durable}`;
    const slot = calculateSlot(key);
    const before = await masterOf(slot);
    // The pipeline goes to the key's master; WAIT (no key) rides along: the SET has reached one replica.
    const [[setError], [waitError, acked]] = (await client
      .pipeline()
      .set(key, 'v1')
      .call('WAIT', 1, 5000)
      .exec())!;
    expect(setError).toBeNull();
    expect(waitError).toBeNull();
    expect(acked).toBe(1);

    const killed = await cluster.killMasterOf(slot);
    expect(killed).toBe(before);
    expect(cluster.isRunning(killed)).toBe(false);
    await cluster.waitUntilHealthy();

    const after = await masterOf(slot);
    expect(after).toBeDefined();
    expect(after).not.toBe(killed);
    expect(await client.get(key)).toBe('v1');
    await client.set(`${key}:after`, 'v2');
    expect(await client.get(`${key}:after`)).toBe('v2');

    await cluster.restart(killed);
    expect(await cluster.roles()).toContainEqual({ port: killed, role: 'replica' });
    // Synced from the new master: it holds what was written before and after the failover.
    const replica = new Valkey({
      host: '127.0.0.1',
      port: killed,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await replica.connect();
      await replica.readonly();
      expect(await replica.mget(key, `${key}:after`)).toEqual(['v1', 'v2']);
    } finally {
      replica.disconnect();
    }
  });

  it('flushAll empties every master', async () => {
    await client.set(`${prefix}flush:a`, '1');
    await cluster.flushAll();
    expect(await client.get(`${prefix}flush:a`)).toBeNull();
    for (const { port } of await cluster.masters()) {
      const c = new Valkey({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await c.connect();
        expect(await c.dbsize()).toBe(0);
      } finally {
        c.disconnect();
      }
    }
  });
});
