import { AppConfig } from '@app/platform';
import { CachePrimitives, createCachePrimitives } from '@app/cache';
import { TestRedisServer } from '../../support/redis-server';
import { removeTestKeys, testConfig } from '../../support/test-env';
import { privateCache } from '../../support/private-cache';

/** The cache primitives against real Redis. No database is involved: loaders are plain functions that count calls. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A loader held at a gate: `started` settles once the engine has called it (its load fence is then taken), and it
 * answers `value` once released. Tests wait on `started`, never on a fixed delay, before racing the load.
 */
function gatedLoader<T>(value: T) {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  const load = async () => {
    markStarted();
    await gate;
    return value;
  };
  return { load, started, release };
}

/** A loader that counts its calls and takes `ms` to answer. */
function countingLoader<T>(value: T | null, ms = 0) {
  const loader = Object.assign(
    async () => {
      loader.calls++;
      if (ms) await sleep(ms);
      return value;
    },
    { calls: 0 },
  );
  return loader;
}

describe('cache primitives (real Redis)', () => {
  let config: AppConfig;
  let p: CachePrimitives;
  const opts = { queryClass: 'test', ttl: 60 };

  beforeEach(async () => {
    config = testConfig('mysql', { CACHE_LOCK_WAIT_MS: '5000' });
    p = await createCachePrimitives(config);
  });

  afterEach(async () => {
    await p.close();
    await removeTestKeys(config);
  });

  it('misses once, then hits with the identical value', async () => {
    const loader = countingLoader({ id: 115, name: 'LH 115' });
    const first = await p.cache.getOrLoad('flight:115', loader, opts);
    const second = await p.cache.getOrLoad('flight:115', loader, opts);
    expect(first.source).toBe('database');
    expect(second.source).toBe('cache');
    expect(second.value).toEqual(first.value);
    expect(second.cacheKey).toBe(p.cache.key('flight:115'));
    expect(loader.calls).toBe(1);
    expect(await p.client.ttl(p.cache.key('flight:115'))).toBeGreaterThan(50);
  });

  it('caches "not found" briefly so unknown ids do not reach the loader again', async () => {
    const loader = countingLoader(null);
    const first = await p.cache.getOrLoad('flight:999999', loader, { ...opts, negativeTtl: 30 });
    const second = await p.cache.getOrLoad('flight:999999', loader, { ...opts, negativeTtl: 30 });
    expect(first).toMatchObject({ value: null, source: 'database' });
    expect(second).toMatchObject({ value: null, source: 'cache' });
    expect(loader.calls).toBe(1);
    const ttl = await p.client.ttl(p.cache.key('flight:999999'));
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('refresh skips the cached value, reloads and overwrites it', async () => {
    let version = 1;
    const loader = async () => ({ version });
    await p.cache.getOrLoad('k', loader, opts);
    version = 2;
    const refreshed = await p.cache.getOrLoad('k', loader, { ...opts, refresh: true });
    const after = await p.cache.getOrLoad('k', loader, opts);
    expect(refreshed).toMatchObject({ source: 'database', value: { version: 2 } });
    expect(after).toMatchObject({ source: 'cache', value: { version: 2 } });
  });

  it('invalidating a tag removes exactly the entries under it', async () => {
    await p.cache.getOrLoad('manifest:115', async () => [1], { ...opts, tags: ['flight:115'] });
    await p.cache.getOrLoad('search:JFK:LAX:2026-12-15', async () => [2], {
      ...opts,
      tags: ['route:JFK:LAX:2026-12-15', 'flight:115'],
    });
    await p.cache.getOrLoad('manifest:116', async () => [3], { ...opts, tags: ['flight:116'] });
    expect(await p.cache.keysOfTag('flight:115')).toEqual(['manifest:115', 'search:JFK:LAX:2026-12-15']);

    const deleted = await p.cache.invalidateTags(['flight:115']);

    expect(deleted).toBe(2);
    const exists = async (k: string) => p.client.exists(p.cache.key(k));
    expect(await exists('manifest:115')).toBe(0);
    expect(await exists('search:JFK:LAX:2026-12-15')).toBe(0);
    expect(await exists('manifest:116')).toBe(1);
    expect(await p.cache.keysOfTag('flight:115')).toEqual([]);
  });

  it('does not write back a value loaded before an invalidation of its tag (no stale data)', async () => {
    const read = gatedLoader(['old']); // the database was read before the write below committed
    const loading = p.cache.getOrLoad('manifest:115', read.load, { ...opts, tags: ['flight:115'] });
    await read.started;
    await p.cache.invalidateTags(['flight:115']); // the write commits and invalidates meanwhile
    read.release();
    const result = await loading;
    expect(result.value).toEqual(['old']);
    expect(result.cacheKey).toBeNull();
    const next = await p.cache.getOrLoad('manifest:115', async () => ['new'], {
      ...opts,
      tags: ['flight:115'],
    });
    expect(next).toMatchObject({ source: 'database', value: ['new'] });
  });

  it('registers tags that only the loaded value reveals, with the same protection against a racing invalidation', async () => {
    const searchOpts = {
      ...opts,
      tags: ['route:JFK:LAX:2026-12-15'],
      tagsOf: (flights: number[]) => flights.map((f) => `flight:${f}`),
    };
    await p.cache.getOrLoad('search:JFK:LAX:2026-12-15', async () => [115, 116], searchOpts);
    expect(await p.cache.keysOfTag('flight:116')).toEqual(['search:JFK:LAX:2026-12-15']);

    const search = gatedLoader([117]);
    const loading = p.cache.getOrLoad('search:JFK:LAX:2026-12-16', search.load, {
      ...searchOpts,
      tags: ['route:JFK:LAX:2026-12-16'],
    });
    await search.started;
    await p.cache.invalidateTags(['flight:117']); // a booking on flight 117 commits while the search loads
    search.release();
    expect((await loading).cacheKey).toBeNull();
    expect(await p.client.exists(p.cache.key('search:JFK:LAX:2026-12-16'))).toBe(0);
  });

  it('an owner whose lock expired cannot release the new owner’s lock', async () => {
    const first = await p.lock.acquire('k', 100);
    expect(first).toEqual(expect.any(String));
    expect(await p.lock.acquire('k', 100)).toBeNull();
    await sleep(150);
    const second = await p.lock.acquire('k', 5000);
    expect(second).toEqual(expect.any(String));
    expect(await p.lock.release('k', first!)).toBe(false);
    expect(await p.lock.extend('k', first!, 5000)).toBe(false);
    expect(await p.lock.owner('k')).toBe(second);
    expect(await p.lock.release('k', second!)).toBe(true);
    expect(await p.lock.owner('k')).toBeNull();
  });

  it('100 concurrent cold requests over four independent clients run the loader once', async () => {
    const others = await Promise.all([1, 2, 3].map(() => createCachePrimitives(config)));
    try {
      const all = [p, ...others];
      const loader = countingLoader({ hot: true }, 150);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => all[i % all.length].cache.getOrLoad('hot', loader, opts)),
      );
      expect(loader.calls).toBe(1);
      expect(results.every((r) => (r.value as { hot: boolean }).hot)).toBe(true);
      // One answer came from the loader; clients that lost the lock were woken and read the cache.
      expect(results.filter((r) => r.source === 'database').length).toBeLessThanOrEqual(25);
      expect(results.some((r) => r.source === 'cache')).toBe(true);
      await Promise.all(all.map((x) => x.stats.flush()));
      const snap = await p.stats.snapshot();
      const cls = snap.classes.find((c) => c.queryClass === 'test')!;
      expect(cls.loads).toBe(1);
      expect(cls.waits).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });

  it('wakes waiters through the fill notification, not by polling', async () => {
    const other = await createCachePrimitives(config);
    try {
      const owner = gatedLoader('v');
      const ownerDone = p.cache.getOrLoad('k', owner.load, opts);
      await owner.started; // the owner holds the lock: the next request waits
      const waiting = other.cache.getOrLoad('k', countingLoader('never', 0), opts);
      // The owner delivers only once the other process waits for the notification, however slow the machine.
      while (other.fill.waiting === 0) await sleep(5);
      owner.release();
      const [waiter] = await Promise.all([waiting, ownerDone]);
      expect(waiter).toMatchObject({ value: 'v', source: 'cache' });
      expect(waiter.trace?.wokenBy).toBe('notification');
    } finally {
      await other.close();
    }
  });

  it('a waiter whose owner never delivers loads by itself after the bounded wait', async () => {
    const shortWait = testConfig('mysql', {
      CACHE_LOCK_WAIT_MS: '200',
      CACHE_KEY_PREFIX: config.cache.keyPrefix,
    });
    const q = await createCachePrimitives(shortWait);
    try {
      const token = await q.lock.acquire('stuck', 60000); // an owner that died holding the lock
      expect(token).not.toBeNull();
      const loader = countingLoader('loaded-anyway');
      const r = await q.cache.getOrLoad('stuck', loader, opts);
      expect(r).toMatchObject({ value: 'loaded-anyway', source: 'database' });
      expect(loader.calls).toBe(1);
    } finally {
      await q.close();
    }
  });

  it('concurrent misses inside one process share one promise', async () => {
    const loader = countingLoader('shared', 100);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => p.cache.getOrLoad('one', loader, opts)),
    );
    expect(loader.calls).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set(['shared']));
  });

  it('statistics from several clients add up to one total', async () => {
    const other = await createCachePrimitives(config);
    try {
      await p.cache.getOrLoad('a', async () => 1, { ...opts, queryClass: 'flight' });
      await p.cache.getOrLoad('a', async () => 1, { ...opts, queryClass: 'flight' });
      await other.cache.getOrLoad('a', async () => 1, { ...opts, queryClass: 'flight' });
      await other.stats.flush();
      const snap = await p.stats.snapshot();
      const flight = snap.classes.find((c) => c.queryClass === 'flight')!;
      expect(flight).toMatchObject({ hits: 2, misses: 1, loads: 1 });
      expect(flight.hitRate).toBeCloseTo(2 / 3, 2);
      expect(flight.cache.count).toBe(2);
      expect(flight.database.count).toBe(1);
      expect(snap.totals.hits).toBeGreaterThanOrEqual(2);
    } finally {
      await other.close();
    }
  });

  it('DELETE-cache flush removes cached entries of this prefix only, never state of record', async () => {
    const foreign = `other-project:${Date.now()}:k`;
    await p.client.set(foreign, 'x');
    await p.cache.set('flight:1', { a: 1 }, { ttl: 60, tags: ['flight:1'] });
    await p.client.set(p.cache.key('wb:booking:ABC'), 'pending');
    const n = await p.cache.purgeCachedEntries();
    expect(n).toBeGreaterThanOrEqual(2); // the entry and its tag set
    expect(await p.client.exists(p.cache.key('flight:1'))).toBe(0);
    expect(await p.client.get(p.cache.key('wb:booking:ABC'))).toBe('pending');
    expect(await p.client.get(foreign)).toBe('x');
    await p.client.del(foreign);
  });
});

describe('cache primitives when Valkey goes away and comes back', () => {
  let server: TestRedisServer;
  let p: CachePrimitives;

  beforeAll(async () => {
    ({ server, p } = await privateCache({
      CACHE_BREAKER_COOLDOWN_MS: '100',
      CACHE_COMMAND_TIMEOUT_MS: '100',
      // The database fallback is the subject: no near cache answering from memory in the moment the server dies
      // (near-cache.spec.ts covers a lost connection with it on).
      CACHE_NEAR_MAX_BYTES: '0',
    }));
  });

  afterAll(async () => {
    await p.close();
    await server.stop();
  });

  it('serves from the loader while the cache is down and hits again once it is back', async () => {
    const loader = countingLoader({ ok: true });
    expect((await p.cache.getOrLoad('k', loader, { queryClass: 't', ttl: 60 })).source).toBe('database');
    expect((await p.cache.getOrLoad('k', loader, { queryClass: 't', ttl: 60 })).source).toBe('cache');

    await server.stop();
    for (let i = 0; i < 5; i++) {
      const r = await p.cache.getOrLoad('k', loader, { queryClass: 't', ttl: 60 });
      expect(r).toMatchObject({ value: { ok: true }, source: 'database', cacheKey: null });
    }
    expect(p.cache.isAvailable).toBe(false);
    expect(await p.guard.run((c) => c.ping())).toBeUndefined();

    await server.start();
    // iovalkey reconnects by itself; the breaker lets a trial through after its cool-down.
    let source = 'database';
    for (let i = 0; i < 100 && source !== 'cache'; i++) {
      await sleep(50);
      source = (await p.cache.getOrLoad('k', loader, { queryClass: 't', ttl: 60 })).source;
    }
    expect(source).toBe('cache');
  });
});
