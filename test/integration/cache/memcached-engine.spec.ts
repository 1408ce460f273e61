import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig, DependencyHealth } from '@app/platform';
import { CachePrimitives, createCachePrimitives, InfraKeys, MemcachedEntries } from '@app/cache';
import { removeTestKeys, testConfig } from '../../support/test-env';
import { memcachedEnv, memcachedTtlSeconds, TestMemcachedServer } from '../../support/memcached-server';
import { eventually } from '../../support/eventually';

/**
 * The memcached engine of cache-aside JSON entries (CACHE_ENGINE=memcached) on a real memcached of the suite's
 * own (and real Redis for what stays on Valkey: statistics, structured entries): hit and miss, expiry, one loader
 * per key across two engine instances, owner-only locks, invalidation by generations (tags, keys, purge) that a
 * load which began before it cannot undo, and a memcached that dies and comes back.
 */

/** A promise and the function that settles it (a loader the test lets finish when it wants). */
function gate<T>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}

describe('memcached engine (real memcached)', () => {
  let server: TestMemcachedServer;
  let config: AppConfig;
  let p: CachePrimitives;
  let mc: MemcachedEntries;
  const opts = { queryClass: 'mc-test', ttl: 60 };

  beforeAll(async () => {
    server = await TestMemcachedServer.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    // Each test its own prefix: memcached keeps the entries of the tests before it.
    config = testConfig('mysql', { ...memcachedEnv(server), CACHE_BREAKER_COOLDOWN_MS: '100' });
    p = await createCachePrimitives(config);
    mc = p.memcached!;
  });

  afterEach(async () => {
    await p.close();
    await removeTestKeys(config);
  });

  it('is the engine of getOrLoad: a miss loads and stores, the next read hits, with no near cache', async () => {
    expect(p.cache.engine.name).toBe('memcached');
    let calls = 0;
    const loader = async () => ({ n: ++calls });
    const first = await p.cache.getOrLoad('e:1', loader, opts);
    expect(first).toMatchObject({
      value: { n: 1 },
      source: 'database',
      cacheKey: `${config.cache.keyPrefix}e:1`,
    });
    const second = await p.cache.getOrLoad('e:1', loader, opts);
    expect(second).toMatchObject({ value: { n: 1 }, source: 'cache' });
    expect(calls).toBe(1);
    // Stored in memcached, not in Valkey.
    expect(await p.client.get(p.cache.key('e:1'))).toBeNull();
    expect(await mc.guard.connection.get(mc.key('e:1'))).toContain('{"n":1}');
    expect(await p.cache.cachedJson('e:1')).toEqual({ value: { n: 1 }, near: false });
    // Statistics are reported as for Valkey (kept in Valkey, shared by every process).
    const stats = await p.stats.snapshot();
    expect(stats.classes.find((c) => c.queryClass === 'mc-test')).toMatchObject({
      hits: 1,
      misses: 1,
      loads: 1,
    });
  });

  it('"not found" is cached for the negative TTL and read back as null', async () => {
    let calls = 0;
    const loader = async () => (calls++, null);
    expect((await p.cache.getOrLoad('e:none', loader, opts)).value).toBeNull();
    const again = await p.cache.getOrLoad('e:none', loader, opts);
    expect(again).toMatchObject({ value: null, source: 'cache' });
    expect(calls).toBe(1);
    expect(await p.cache.cachedJson('e:none')).toBeNull();
  });

  it('an entry expires with its TTL', async () => {
    await p.cache.getOrLoad('e:ttl', async () => ({ v: 1 }), { ...opts, ttl: 1 });
    expect(await p.cache.cachedJson('e:ttl')).not.toBeNull();
    // memcached counts expiry in whole seconds: poll until it is gone.
    await eventually(
      async () => ((await p.cache.cachedJson('e:ttl')) === null ? true : undefined),
      5000,
      100,
    );
    const after = await p.cache.getOrLoad('e:ttl', async () => ({ v: 2 }), { ...opts, ttl: 1 });
    expect(after).toMatchObject({ value: { v: 2 }, source: 'database' });
  });

  it('grace: an expired-but-kept entry is served stale when the reload fails', async () => {
    await p.cache.getOrLoad('e:grace', async () => ({ v: 1 }), { ...opts, ttl: 1, graceSeconds: 30 });
    const stale = await eventually(
      async () => {
        const r = await p.cache.getOrLoad(
          'e:grace',
          async () => {
            throw new Error('source down');
          },
          { ...opts, ttl: 1, graceSeconds: 30 },
        );
        return r.stale ? r : undefined;
      },
      5000,
      100,
    );
    expect(stale).toMatchObject({ value: { v: 1 }, source: 'cache', stale: true });
  });

  it('one loader call for 2 engine instances x 25 concurrent cold requests; waiters poll (no pub/sub)', async () => {
    const other = await createCachePrimitives(config);
    try {
      let calls = 0;
      const loader = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 300));
        return { hot: true };
      };
      const results = await Promise.all(
        [p, other].flatMap((q) => Array.from({ length: 25 }, () => q.cache.getOrLoad('e:hot', loader, opts))),
      );
      expect(calls).toBe(1);
      expect(results.every((r) => (r.value as { hot: boolean }).hot)).toBe(true);
      // The instance that did not load waited for the other one's lock to go, polling.
      const waited = results.filter((r) => r.trace?.lock === 'waited');
      expect(waited.length).toBeGreaterThan(0);
      expect(waited.every((r) => r.source === 'cache')).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('the lock is add with a TTL, released or extended only by its owner', async () => {
    const token = await mc.acquire('e:lock', 1000);
    expect(token).toEqual(expect.any(String));
    expect(await mc.acquire('e:lock', 1000)).toBeNull();
    expect(await mc.release('e:lock', 'not-the-owner')).toBe(false);
    expect(await mc.extend('e:lock', 'not-the-owner', 1000)).toBe(false);
    expect(await mc.owner('e:lock')).toBe(token);
    // Expired: someone else takes it, and the first owner can no longer remove it.
    const next = await eventually(async () => (await mc.acquire('e:lock', 5000)) ?? undefined, 5000, 100);
    expect(await mc.release('e:lock', token!)).toBe(false);
    expect(await mc.owner('e:lock')).toBe(next);
    expect(await mc.extend('e:lock', next, 5000)).toBe(true);
    expect(await mc.release('e:lock', next)).toBe(true);
    expect(await mc.owner('e:lock')).toBeNull();
  });

  it('a lock never expires before its TTL: memcached counts whole seconds and its clock may tick at once', async () => {
    const lockKey = (k: string) => mc.key(InfraKeys.lock(k));
    // Kept for t seconds by memcached's clock, an item may go as soon as t - 1 seconds have passed.
    const token = (await mc.acquire('e:lockttl', 1000))!;
    expect(await memcachedTtlSeconds(server, lockKey('e:lockttl'))).toBeGreaterThanOrEqual(2);
    expect(await mc.extend('e:lockttl', token, 1500)).toBe(true);
    expect(await memcachedTtlSeconds(server, lockKey('e:lockttl'))).toBeGreaterThanOrEqual(3);
    expect(await mc.acquire('e:lockttl2', 250)).toEqual(expect.any(String));
    expect(await memcachedTtlSeconds(server, lockKey('e:lockttl2'))).toBeGreaterThanOrEqual(2);
    await mc.release('e:lockttl', token);
  });

  it("a release racing its owner's own extend (the watchdog's, in flight) still releases the lock", async () => {
    // Both read the lock's cas; the extend's cas wins. The release must see the token is still its own and retry,
    // else the lock stays for a whole TTL and other processes' waiters poll it in vain.
    for (let i = 0; i < 10; i++) {
      const token = (await mc.acquire(`e:race-lock:${i}`, 5000))!;
      const [extended, released] = await Promise.all([
        mc.extend(`e:race-lock:${i}`, token, 5000),
        mc.release(`e:race-lock:${i}`, token),
      ]);
      expect(released).toBe(true);
      expect(typeof extended).toBe('boolean');
      expect(await mc.owner(`e:race-lock:${i}`)).toBeNull();
    }
  });

  it('tags: invalidation bumps the generation; entries of the tag (also tags only the value revealed) miss', async () => {
    let v = 1;
    const load = () =>
      p.cache.getOrLoad('e:tagged', async () => ({ v, flight: 7 }), {
        ...opts,
        tags: ['route:A'],
        tagsOf: (x: { flight: number }) => [`flight:${x.flight}`],
      });
    await load();
    expect((await load()).source).toBe('cache');
    v = 2;
    expect(await p.cache.invalidateTags(['flight:7'])).toBeGreaterThanOrEqual(0);
    expect(await p.cache.cachedJson('e:tagged')).toBeNull();
    expect(await load()).toMatchObject({ value: { v: 2 }, source: 'database' });
    v = 3;
    await p.cache.invalidateTags(['route:A']);
    expect(await load()).toMatchObject({ value: { v: 3 }, source: 'database' });
    // Another tag leaves it alone.
    await p.cache.invalidateTags(['route:B']);
    expect((await load()).source).toBe('cache');
  });

  it('an entry stored before an invalidation is skipped afterwards, though memcached still holds it', async () => {
    const fence = (await mc.loadFence())!;
    expect(await mc.storeJson('e:held', '{"old":true}', 60, ['t:held'], fence)).toBe(true);
    expect(await p.cache.cachedJson('e:held')).toEqual({ value: { old: true }, near: false });
    await p.cache.invalidateTags(['t:held']);
    expect(await mc.guard.connection.get(mc.key('e:held'))).toContain('"old":true');
    expect(await p.cache.cachedJson('e:held')).toBeNull();
    // A store that carries the generation from before the invalidation is refused.
    expect(await mc.storeJson('e:held', '{"old":true}', 60, ['t:held'], fence)).toBe(false);
  });

  for (const how of ['tag', 'key'] as const) {
    it(`an invalidation by ${how} during a load is not overwritten by the stale load`, async () => {
      const loading = gate<{ v: string }>();
      let started!: () => void;
      const loaderStarted = new Promise<void>((r) => (started = r));
      const first = p.cache.getOrLoad(
        'e:race',
        () => {
          started();
          return loading.promise;
        },
        { ...opts, tags: ['t:race'] },
      );
      await loaderStarted;
      // The write happened (the source now says "new") and its invalidation returned while the load ran.
      if (how === 'tag') expect(await p.cache.invalidateTags(['t:race'])).toBeGreaterThanOrEqual(0);
      else expect(await p.cache.delete(['e:race'])).toBeGreaterThanOrEqual(0);
      loading.open({ v: 'old' });
      const r = await first;
      expect(r).toMatchObject({ value: { v: 'old' }, source: 'database', cacheKey: null });
      expect(await p.cache.cachedJson('e:race')).toBeNull();
      const next = await p.cache.getOrLoad('e:race', async () => ({ v: 'new' }), {
        ...opts,
        tags: ['t:race'],
      });
      expect(next).toMatchObject({ value: { v: 'new' }, source: 'database' });
      expect((await p.cache.getOrLoad('e:race', async () => ({ v: 'x' }), opts)).value).toEqual({ v: 'new' });
    });
  }

  it('an entry stored without a load (fence "") and deleted by key', async () => {
    expect(await mc.storeJson('e:set', '{"a":1}', 60, ['t:set'], '')).toBe(true);
    expect(await p.cache.cachedJson('e:set')).toEqual({ value: { a: 1 }, near: false });
    expect(await p.cache.delete(['e:set'])).toBeGreaterThanOrEqual(1);
    expect(await p.cache.cachedJson('e:set')).toBeNull();
    // Valkey-only entries (the writer's booking facts) stay where their readers look.
    expect(await p.cache.set('e:facts', { f: 1 }, { ttl: 60 })).toBe(true);
    expect(await p.client.get(p.cache.key('e:facts'))).toBe('{"f":1}');
  });

  it('purge (DELETE /api/cache) raises the namespace mark instead of flush_all', async () => {
    const foreign = `not-ours-${Date.now()}`;
    await mc.guard.connection.set(foreign, 'kept', 60);
    await p.cache.getOrLoad('e:p1', async () => ({ a: 1 }), opts);
    await p.cache.getOrLoad('e:p2', async () => ({ a: 2 }), opts);
    await p.cache.purgeCachedEntries();
    expect(await p.cache.cachedJson('e:p1')).toBeNull();
    expect(await p.cache.cachedJson('e:p2')).toBeNull();
    expect(await mc.guard.connection.get(foreign)).toBe('kept');
    expect(await p.cache.getOrLoad('e:p1', async () => ({ a: 3 }), opts)).toMatchObject({
      source: 'database',
    });
    expect(await p.cache.cachedJson('e:p1')).toEqual({ value: { a: 3 }, near: false });
  });

  it('memcached stopped: reads answer from the loader and health says degraded; back: hits again', async () => {
    const health = new DependencyHealth(new HealthIndicatorService());
    expect((await health.memcached(mc)).memcached).toMatchObject({ status: 'up' });
    expect((await health.memcached(mc)).memcached).not.toHaveProperty('state');
    let calls = 0;
    const loader = async () => ({ n: ++calls });
    await p.cache.getOrLoad('e:down', loader, opts);
    await server.stop();
    try {
      for (let i = 0; i < 5; i++) {
        const r = await p.cache.getOrLoad('e:down', loader, opts);
        expect(r.source).toBe('database');
      }
      expect(calls).toBe(6);
      expect(await p.cache.cachedJson('e:down')).toBeNull();
      const report = (await health.memcached(mc)).memcached;
      expect(report).toMatchObject({ status: 'up', state: 'degraded' });
      expect(String((report as Record<string, unknown>).message)).toMatch(/reads go to the database/);
      expect(mc.guard.health().state).toBe('down');
    } finally {
      await server.start();
    }
    // Back (empty: a restarted memcached keeps nothing): a load stores again, the next read hits.
    const stored = await eventually(
      async () => {
        const r = await p.cache.getOrLoad('e:down', loader, opts);
        return r.cacheKey ? r : undefined;
      },
      10000,
      100,
    );
    expect(stored.source).toBe('database');
    expect((await p.cache.getOrLoad('e:down', loader, opts)).source).toBe('cache');
    expect((await health.memcached(mc)).memcached).toMatchObject({ status: 'up' });
  });
});
