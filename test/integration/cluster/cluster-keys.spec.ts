import calculateSlot from 'cluster-key-slot';
import { Job, Queue, Worker } from 'bullmq';
import { AppConfig, queueOptions, releaseQueueConnection } from '@app/platform';
import {
  CachePrimitives,
  DurableWriteKeys,
  InfraKeys,
  Keys,
  createCachePrimitives,
  isCluster,
  masterConnections,
  runScript,
} from '@app/cache';
import { removeTestKeys, testClusterNodes, testConfig } from '../../support/test-env';
import { eventually } from '../../support/eventually';

/**
 * The key design that lets every component run on a Valkey Cluster (KeySpace): run by the integration project on
 * the single server, and by the cluster project on a 3-master cluster, where a CROSSSLOT error, a key on the
 * wrong shard or a stale read after an invalidation would show.
 */
describe('keys on one server or a cluster', () => {
  let config: AppConfig;
  let p: CachePrimitives;
  const opts = { queryClass: 'test', ttl: 60 };

  beforeEach(async () => {
    config = testConfig('mysql');
    p = await createCachePrimitives(config);
  });

  afterEach(async () => {
    await p.close();
    await removeTestKeys(config);
  });

  it('runs on the topology the project asks for', () => {
    expect(isCluster(p.client)).toBe(testClusterNodes() !== undefined);
    expect(p.cache.keySpace.shardCount).toBe(isCluster(p.client) ? config.cache.shards : 1);
  });

  it('spreads entries over every master, while an entity keeps its keys in one slot', async () => {
    const masters = masterConnections(p.client);
    expect(masters.length).toBe(isCluster(p.client) ? 3 : 1);
    for (let i = 0; i < 30; i++)
      await p.cache.set(`flight:${i}`, { i }, { ttl: 60, tags: [`route:R${i % 3}`] });
    // Each master holds some of them (keys counted where they live).
    const counts = await Promise.all(
      masters.map(async (m) => {
        let n = 0;
        for (let i = 0; i < 30; i++) n += await m.exists(p.cache.key(`flight:${i}`)).catch(() => 0);
        return n;
      }),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(counts.every((n) => n > 0)).toBe(true);
    const slots = [
      Keys.seatMap(4),
      Keys.seatCounters(4),
      DurableWriteKeys.pendingSeats(4),
      Keys.flight(4),
    ].map((k) => calculateSlot(p.cache.key(k)));
    // One slot on a cluster; on one server slots mean nothing (no hash tags).
    expect(new Set(slots).size).toBe(p.cache.keySpace.isSharded ? 1 : slots.length);
  });

  it('a tag invalidated once removes its entries from every shard and fences loads on every shard', async () => {
    for (let i = 0; i < 12; i++)
      await p.cache.set(`flight:${i}`, { i }, { ttl: 60, tags: ['route:FRA-JFK'] });
    expect(await p.cache.keysOfTag('route:FRA-JFK')).toHaveLength(12);
    // Loads of several shards start, the tag is invalidated while they run, then they finish: none is stored.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const loads = Array.from({ length: 6 }, (_, i) =>
      p.cache.getOrLoad(
        `search:FRA:JFK:2026-12-0${i + 1}`,
        async () => {
          started++;
          await gate;
          return { stale: true };
        },
        { ...opts, tags: ['route:FRA-JFK'] },
      ),
    );
    while (started < 6) await new Promise((r) => setTimeout(r, 10));
    expect(await p.cache.invalidateTags(['route:FRA-JFK'])).toBe(12);
    release();
    await Promise.all(loads);
    for (let i = 0; i < 6; i++)
      expect(await p.client.exists(p.cache.key(`search:FRA:JFK:2026-12-0${i + 1}`))).toBe(0);
    for (let i = 0; i < 12; i++) expect(await p.client.exists(p.cache.key(`flight:${i}`))).toBe(0);
    expect(await p.cache.keysOfTag('route:FRA-JFK')).toEqual([]);
  });

  it('DELETE /api/cache empties every master of cached entries and keeps state of record', async () => {
    for (let i = 0; i < 20; i++) await p.cache.set(`airport:A${i}`, { i }, { ttl: 60 });
    const pending = p.cache.key(DurableWriteKeys.bookingStatus('ref-1'));
    await p.client.hset(pending, 'status', 'pending');
    expect(await p.cache.purgeCachedEntries()).toBeGreaterThanOrEqual(20);
    for (let i = 0; i < 20; i++) expect(await p.client.exists(p.cache.key(`airport:A${i}`))).toBe(0);
    expect(await p.client.hget(pending, 'status')).toBe('pending');
  });

  it('a write-behind reference lands beside its flight: seat map, status and stream entry change in one script', async () => {
    const entity = Keys.seatMap(42);
    const reference = p.cache.referenceBeside(entity, DurableWriteKeys.bookingStatus);
    const keys = [
      p.cache.key(Keys.seatMap(42)),
      p.cache.key(Keys.seatCounters(42)),
      p.cache.key(DurableWriteKeys.pendingSeats(42)),
      p.cache.key(DurableWriteKeys.bookingStatus(reference)),
      p.cache.keyBeside(entity, DurableWriteKeys.writeBehindStream()),
    ];
    expect(new Set(keys.map((k) => calculateSlot(k))).size).toBe(
      p.cache.keySpace.isSharded ? 1 : keys.length,
    );
    // The seat map as a reader builds it (3 seats free), then the reservation script itself: no CROSSSLOT.
    await p.client.setbit(keys[0], 2, 0);
    await p.client.hset(keys[1], 'capacity', 3, 'booked', 0, 'available', 3);
    const reply = await runScript<[string, string]>(p.client, 'reserve-write-behind', keys, [
      1,
      reference,
      'reference',
      reference,
    ]);
    expect(reply[0]).toBe('OK');
    expect(await p.client.xlen(keys[4])).toBe(1);
    expect(await p.client.hget(keys[3], 'status')).toBe('pending');
    // The flushers read every shard's stream: this one is among them.
    expect(p.cache.keyInEveryShard(DurableWriteKeys.writeBehindStream())).toContain(keys[4]);
  });

  it('fences of a key are compared with its own server’s clock', async () => {
    const before = await p.cache.serverTimeUs('flight:7');
    await p.cache.delete(['flight:7']);
    const fence = await p.client.get(p.cache.key(InfraKeys.fence('flight:7')));
    expect(Number(fence)).toBeGreaterThanOrEqual(Number(before));
  });

  it('BullMQ runs its queue under the hash-tagged prefix (no CROSSSLOT in its scripts)', async () => {
    const name = `cluster-check-${Date.now()}`;
    const queue = new Queue(name, queueOptions(config));
    const worker = new Worker(name, async (job: Job) => ({ doubled: job.data.n * 2 }), queueOptions(config));
    try {
      const job = await queue.add('double', { n: 21 });
      const done = await eventually(async () => {
        const state = await queue.getJobState(job.id!);
        if (state === 'failed') throw new Error((await queue.getJob(job.id!))?.failedReason);
        return state === 'completed' ? queue.getJob(job.id!) : undefined;
      }, 60_000);
      expect(done?.returnvalue).toEqual({ doubled: 42 });
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      for (let i = 0; i < 2; i++) releaseQueueConnection(config);
    }
  });
});
