import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig, DependencyHealth } from '@app/platform';
import { CachePrimitives, createCachePrimitives, LoadFailedError, SourceTimeoutError } from '@app/cache';
import { CpuHogs, StampedeWorkers } from '../../../tools/stampede/workers';
import { removeTestKeys, testConfig } from '../../support/test-env';
import { TestRedisServer } from '../../support/redis-server';
import { cacheOn, privateCache } from '../../support/private-cache';

/**
 * The stampede engine's promises, on real Redis, including on a busy machine: one loader per key across OS
 * processes with two CPU-bound processes running beside them, coalescing before the first read (counted in the
 * server's own command statistics), fencing of every invalidation, grace, early refresh, the loader timeout,
 * NOSCRIPT recovery, and a failure detector that tells a slow server from a dead one.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function envOf(config: AppConfig): NodeJS.ProcessEnv {
  return {
    CACHE_HOST: config.cache.host,
    CACHE_PORT: String(config.cache.port),
    // The cluster project's workers use the cluster too.
    CACHE_CLUSTER_NODES: (config.cache.clusterNodes ?? []).map((n) => `${n.host}:${n.port}`).join(','),
    CACHE_KEY_PREFIX: config.cache.keyPrefix,
    LOG_LEVEL: 'error',
  };
}

describe('one loader per key across processes, with two CPU-bound processes beside them', () => {
  let config: AppConfig;
  let workers: StampedeWorkers;
  let hogs: CpuHogs;
  let p: CachePrimitives;

  beforeAll(async () => {
    config = testConfig('mysql');
    p = await createCachePrimitives(config);
    hogs = CpuHogs.start(2);
    workers = await StampedeWorkers.start(2, envOf(config));
  }, 180_000);

  afterAll(async () => {
    await hogs?.stop();
    await workers?.stop();
    await p?.close();
    await removeTestKeys(config);
  });

  for (const perProcess of [1, 10, 100, 1000]) {
    it(`2 processes x ${perProcess} concurrent cold requests for one key: exactly 1 loader call`, async () => {
      const key = `hot:${perProcess}`;
      const reports = await workers.run({ keys: [key], perKey: perProcess, loaderMs: 300 });
      expect(reports.map((r) => r.failures)).toEqual([0, 0]);
      expect(reports.reduce((n, r) => n + r.latencies.length, 0)).toBe(2 * perProcess);
      expect(reports.reduce((n, r) => n + r.loaderCalls, 0)).toBe(1);
    }, 180_000);
  }

  it('2 processes x 200 concurrent cold requests for each of 5 keys: exactly 5 loader calls', async () => {
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => `five:${k}`);
    const reports = await workers.run({ keys, perKey: 200, loaderMs: 300 });
    expect(reports.map((r) => r.failures)).toEqual([0, 0]);
    expect(reports.reduce((n, r) => n + r.latencies.length, 0)).toBe(2 * 5 * 200);
    expect(reports.reduce((n, r) => n + r.loaderCalls, 0)).toBe(5);
  }, 180_000);
});

describe('stampede engine (real Redis)', () => {
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

  it('does not write back a value loaded before the key was invalidated by key (fenced delete)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let loaderStarted = false;
    const loading = p.cache.getOrLoad(
      'flight:7',
      async () => {
        loaderStarted = true;
        await gate; // read the database before the write below committed
        return { version: 'old' };
      },
      opts,
    );
    // The loader runs once the lock is taken and the load's fence read; wait for that, not for a fixed time.
    while (!loaderStarted) await sleep(5);
    expect(await p.lock.owner('flight:7')).not.toBeNull();
    expect(await p.cache.delete(['flight:7'])).toBe(0);
    release();
    const result = await loading;
    expect(result.value).toEqual({ version: 'old' });
    expect(result.cacheKey).toBeNull();
    const next = await p.cache.getOrLoad('flight:7', async () => ({ version: 'new' }), opts);
    expect(next).toMatchObject({ source: 'database', value: { version: 'new' } });
  });

  it('serves the last value, marked stale, within grace when the loader fails; fails once grace is over', async () => {
    const grace = { ...opts, ttl: 1, graceSeconds: 30 };
    await p.cache.getOrLoad('profile:1', async () => ({ n: 1 }), grace);
    // Freshness is the server's TTL: wait until it says the value is past it.
    while ((await p.client.pttl(p.cache.key('profile:1'))) > 30_000) await sleep(50);
    const stale = await p.cache.getOrLoad(
      'profile:1',
      async () => {
        throw new Error('database unreachable');
      },
      grace,
    );
    expect(stale).toMatchObject({ value: { n: 1 }, source: 'cache', stale: true });
    expect(stale.trace?.staleReason).toMatch(/database unreachable/);
    await expect(
      p.cache.getOrLoad(
        'profile:2',
        async () => {
          throw new Error('database unreachable');
        },
        grace,
      ),
    ).rejects.toThrow(/database unreachable/);
  });

  it('gives up on a loader after its timeout', async () => {
    const never = () => new Promise<never>(() => undefined);
    const err = await p.cache
      .getOrLoad('slow:1', never, { ...opts, loaderTimeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceTimeoutError);
    expect((err as Error).message).toMatch(/did not answer within 100 ms/);
    // The lock was released: the next caller loads at once.
    expect(await p.lock.owner('slow:1')).toBeNull();
  });

  it('refreshes ahead of expiry in the background while callers keep hitting', async () => {
    const o = { ...opts, ttl: 2, earlyRefreshSeconds: 60 };
    let version = 1;
    const loader = async () => ({ version });
    await p.cache.getOrLoad('hot:1', loader, { ...o, earlyRefreshSeconds: 0 });
    version = 2;
    const hit = await p.cache.getOrLoad('hot:1', loader, o);
    expect(hit).toMatchObject({ source: 'cache', value: { version: 1 }, trace: { earlyRefresh: true } });
    // The background refresh stores the new value (bounded wait for it to land, not a fixed sleep).
    const stored = async () => JSON.parse((await p.client.get(p.cache.key('hot:1'))) ?? 'null');
    for (let i = 0; i < 400 && (await stored())?.version !== 2; i++) await sleep(25);
    expect(await stored()).toEqual({ version: 2 });
    const after = await p.cache.getOrLoad('hot:1', loader, { ...o, earlyRefreshSeconds: 0 });
    expect(after).toMatchObject({ source: 'cache', value: { version: 2 } });
  });

  it('a waiter shares the failure of the owner it waited for instead of loading again', async () => {
    const other = await createCachePrimitives(config);
    try {
      let calls = 0;
      let fail!: () => void;
      const gate = new Promise<void>((r) => (fail = r));
      const spec = (primitives: CachePrimitives) =>
        primitives.cache.getOrBuild<number, number>({
          key: 'shared:1',
          queryClass: 'test',
          tags: [],
          shareFailures: true,
          read: async () => null,
          load: async () => {
            calls++;
            await gate;
            throw new Error('upstream said 500');
          },
          toValue: (v) => v,
          store: async () => true,
        });
      const owner = spec(p).catch((e: unknown) => e);
      while (!(await p.lock.owner('shared:1'))) await sleep(5);
      const waiter = spec(other).catch((e: unknown) => e);
      while (other.fill.waiting === 0) await sleep(5);
      fail();
      expect(await owner).toBeInstanceOf(Error);
      const shared = await waiter;
      expect(shared).toBeInstanceOf(LoadFailedError);
      expect((shared as Error).message).toMatch(/upstream said 500/);
      expect(calls).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('runs every script by SHA and recovers by itself after the server forgot them (NOSCRIPT)', async () => {
    await p.cache.set('x:1', { a: 1 }, { ttl: 60, tags: ['t:1'] });
    await p.client.script('FLUSH');
    expect(await p.cache.invalidateTags(['t:1'])).toBe(1);
    expect(await p.cache.set('x:2', { a: 2 }, { ttl: 60, tags: ['t:2'] })).toBe(true);
  });
});

describe('coalescing before the first read (counted by the server)', () => {
  let server: TestRedisServer;
  let p: CachePrimitives;

  beforeAll(async () => {
    ({ server, p } = await privateCache());
  });

  afterAll(async () => {
    await p?.close();
    await server?.stop();
  });

  /**
   * Commands the server ran so far, by name, leaving out those a timer sends: the statistics flush (SADD,
   * HINCRBY, HINCRBYFLOAT every 250 ms, so a slower burst spans more flushes) and the failure detector's probes.
   */
  const TIMED = new Set(['sadd', 'hincrby', 'hincrbyfloat', 'ping']);
  async function commandsSoFar(): Promise<Map<string, number>> {
    const info = await p.client.info('commandstats');
    return new Map(
      [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
        .filter((m) => !TIMED.has(m[1]))
        .map((m) => [m[1], Number(m[2])]),
    );
  }

  it('1,000 concurrent requests for a cold key cost a handful of commands, not one per request', async () => {
    await p.client.config('RESETSTAT');
    const before = await commandsSoFar();
    let calls = 0;
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        p.cache.getOrLoad(
          'burst:1',
          async () => {
            calls++;
            return { ok: true };
          },
          { queryClass: 't', ttl: 60 },
        ),
      ),
    );
    const after = await commandsSoFar();
    const used = [...after]
      .map(([name, n]) => [name, n - (before.get(name) ?? 0)] as const)
      .filter(([, n]) => n > 0);
    expect(results.every((r) => (r.value as { ok: boolean }).ok)).toBe(true);
    expect(calls).toBe(1);
    // GET, SET NX, GET under the lock, the server-time script, the store script, the release script, PUBLISH, and
    // the INFO above: a handful, each a few times at most, however many requests shared them.
    const total = used.reduce((n, [, k]) => n + k, 0);
    // On failure, which commands they were.
    expect(total < 20 ? 'a handful' : JSON.stringify(Object.fromEntries(used))).toBe('a handful');
  });
});

describe('failure detector: slow is not dead', () => {
  let server: TestRedisServer;
  let p: CachePrimitives;

  beforeAll(async () => {
    ({ server, p } = await privateCache({
      CACHE_COMMAND_TIMEOUT_MS: '50',
      CACHE_PROBE_TIMEOUT_MS: '5000',
      CACHE_BREAKER_COOLDOWN_MS: '100',
    }));
  });

  afterAll(async () => {
    await p?.close();
    await server?.stop();
  });

  it('a server that answers slowly stays in use ("degraded"), and the lock still allows one loader', async () => {
    const admin = await cacheOn(server);
    try {
      // The server is kept busy by back-to-back 200 ms scripts: every command waits up to that long, slower than
      // the 50 ms read deadline but well within the probe's.
      let busy = true;
      const spin =
        'local t = redis.call("TIME") while true do local n = redis.call("TIME") ' +
        'if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 200000 then break end end return 1';
      const blocking = (async () => {
        while (busy) await admin.client.eval(spin, 0).catch(() => undefined);
      })();
      const blocker = { stop: async () => ((busy = false), await blocking) };
      let calls = 0;
      try {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            p.cache.getOrLoad(
              `slow:${i % 5}`,
              async () => {
                calls++;
                return { i };
              },
              { queryClass: 't', ttl: 60 },
            ),
          ),
        );
        expect(results).toHaveLength(50);
        expect(calls).toBe(5);
        expect(p.guard.breakerState).toBe('closed');
        expect(p.guard.health().state).toBe('degraded');
        // /health's Valkey check: up (it answers), saying degraded.
        const report = await new DependencyHealth(new HealthIndicatorService()).valkey(p.guard);
        expect(report.valkey).toMatchObject({ status: 'up', state: 'degraded' });
      } finally {
        await blocker.stop();
      }
    } finally {
      await admin.close();
    }
  }, 120_000);

  it('a server that stops answering is found dead by the probe, and in use again once it answers', async () => {
    server.pause();
    try {
      for (let i = 0; i < 300 && p.guard.breakerState !== 'open'; i++) {
        await p.guard.run((c) => c.get('x'));
        await sleep(100);
      }
      expect(p.guard.breakerState).toBe('open');
      expect(p.guard.health().state).toBe('down');
      expect(p.cache.isAvailable).toBe(false);
      const report = await new DependencyHealth(new HealthIndicatorService()).valkey(p.guard);
      expect(report.valkey).toMatchObject({ status: 'down' });
    } finally {
      server.resume();
    }
    for (let i = 0; i < 200 && p.guard.breakerState !== 'closed'; i++) {
      await p.guard.run((c) => c.get('x'));
      await sleep(50);
    }
    expect(p.guard.breakerState).toBe('closed');
  }, 120_000);
});
