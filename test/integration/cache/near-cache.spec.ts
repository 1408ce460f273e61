import { AppConfig } from '@app/platform';
import {
  CachePrimitives,
  createCachePrimitives,
  createValkeyClient,
  isCluster,
  masterConnections,
  ValkeyClient,
} from '@app/cache';
import { eventually } from '../../support/eventually';
import { removeTestKeys, testConfig } from '../../support/test-env';

/**
 * The near cache (L1) kept coherent by Valkey's client-side caching (CLIENT TRACKING with REDIRECT): a key changed
 * or deleted by any client — another process, a plain client as valkey-cli would be, a tag invalidation — is
 * dropped from memory; a lost tracking connection empties it before it serves again. Coherence is asserted by
 * ordering (a barrier on the invalidation connection), never by waiting a fixed time.
 */
describe('near cache (real Redis, CLIENT TRACKING)', () => {
  let config: AppConfig;
  let p: CachePrimitives;
  let other: CachePrimitives;
  let cli: ValkeyClient;
  const k = (logical: string) => p.cache.key(logical);

  beforeEach(async () => {
    config = testConfig('mysql');
    p = await createCachePrimitives(config);
    other = await createCachePrimitives(config);
    cli = createValkeyClient(config.cache);
  });

  afterEach(async () => {
    cli.disconnect();
    await other.close();
    await p.close();
    await removeTestKeys(config);
  });

  it('serves a second read from memory, and drops it when a plain client changes or deletes the key', async () => {
    await cli.set(k('flight:1'), JSON.stringify({ v: 1 }));
    expect(await p.cache.cachedJson('flight:1')).toEqual({ value: { v: 1 }, near: false, raw: '{"v":1}' });
    expect(await p.cache.cachedJson('flight:1')).toEqual({ value: { v: 1 }, near: true, raw: '{"v":1}' });

    await cli.set(k('flight:1'), JSON.stringify({ v: 2 }));
    await p.near.barrier(); // every invalidation sent before this point is applied
    expect(await p.cache.cachedJson('flight:1')).toEqual({ value: { v: 2 }, near: false, raw: '{"v":2}' });

    await cli.del(k('flight:1'));
    await p.near.barrier();
    expect(await p.cache.cachedJson('flight:1')).toBeNull();
    expect(p.near.stats()).toMatchObject({ enabled: true, tracking: true, hits: 1 });
    expect(p.near.stats().invalidations).toBeGreaterThanOrEqual(2);
  });

  it("sees its own writes at once, and another process's tag invalidation after the barrier", async () => {
    await p.cache.set('manifest:7', ['a'], { ttl: 60, tags: ['flight:7'] });
    expect((await p.cache.cachedJson('manifest:7'))?.value).toEqual(['a']);
    expect((await p.cache.cachedJson('manifest:7'))?.near).toBe(true);
    await p.cache.set('manifest:7', ['b'], { ttl: 60, tags: ['flight:7'] });
    expect((await p.cache.cachedJson('manifest:7'))?.value).toEqual(['b']);

    await p.cache.cachedJson('manifest:7'); // held in memory again
    expect(await other.cache.invalidateTags(['flight:7'])).toBe(1);
    await p.near.barrier();
    expect(await p.cache.cachedJson('manifest:7')).toBeNull();
  });

  it('getOrLoad answers repeated hits from memory and counts them as near hits', async () => {
    let loads = 0;
    const load = async () => ({ n: ++loads });
    const opts = { queryClass: 'near_test', ttl: 60 };
    expect((await p.cache.getOrLoad('x:1', load, opts)).source).toBe('database');
    await p.cache.getOrLoad('x:1', load, opts); // from Valkey, kept in memory
    const hit = await p.cache.getOrLoad('x:1', load, opts);
    expect(hit).toMatchObject({ source: 'cache', value: { n: 1 } });
    expect(loads).toBe(1);
    const snapshot = await p.stats.snapshot();
    expect(snapshot.classes.find((c) => c.queryClass === 'near_test')?.nearHits).toBeGreaterThanOrEqual(1);
  });

  it('empties itself when its tracking connection is killed, and serves from memory again once tracking is back', async () => {
    await cli.set(k('airport:JFK'), JSON.stringify({ v: 1 }));
    await p.cache.cachedJson('airport:JFK');
    expect((await p.cache.cachedJson('airport:JFK'))?.near).toBe(true);

    // Kill the invalidation connection (as a failover or a network blip would).
    const { redirectId, redirectNode, servers } = p.near.stats();
    expect(redirectId).not.toBeNull();
    // One server, or every master of a cluster (the id is that of the first master's link).
    expect(servers).toBe(isCluster(cli) ? 3 : 1);
    const server = isCluster(cli)
      ? masterConnections(cli).find((m) => `${m.options.host}:${m.options.port}` === redirectNode)!
      : cli;
    await server.client('KILL', 'ID', String(redirectId));
    await eventually(async () => (p.near.stats().tracking ? undefined : true), 30_000, 10);
    // A change made while nobody listens for invalidations is not missed: nothing is served from memory now.
    await cli.set(k('airport:JFK'), JSON.stringify({ v: 2 }));
    expect(await p.cache.cachedJson('airport:JFK')).toEqual({ value: { v: 2 }, near: false, raw: '{"v":2}' });

    expect(await p.near.ready(30_000)).toBe(true);
    await p.cache.cachedJson('airport:JFK');
    expect(await p.cache.cachedJson('airport:JFK')).toEqual({ value: { v: 2 }, near: true, raw: '{"v":2}' });
    await cli.set(k('airport:JFK'), JSON.stringify({ v: 3 }));
    await p.near.barrier();
    expect(await p.cache.cachedJson('airport:JFK')).toEqual({ value: { v: 3 }, near: false, raw: '{"v":3}' });
    expect(p.near.stats().flushes).toBeGreaterThanOrEqual(1);
  });

  it('turned off with CACHE_NEAR_MAX_BYTES=0: every read asks Valkey', async () => {
    const offConfig = testConfig('mysql', { CACHE_NEAR_MAX_BYTES: '0' });
    const off = await createCachePrimitives(offConfig);
    try {
      await off.cache.set('k:1', { a: 1 }, { ttl: 60 });
      expect(await off.cache.cachedJson('k:1')).toEqual({ value: { a: 1 }, near: false, raw: '{"a":1}' });
      expect(await off.cache.cachedJson('k:1')).toEqual({ value: { a: 1 }, near: false, raw: '{"a":1}' });
      expect(off.near.stats().enabled).toBe(false);
    } finally {
      await off.close();
      await removeTestKeys(offConfig);
    }
  });
});
