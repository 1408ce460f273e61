import { performance } from 'node:perf_hooks';
import { AppConfig, ConfigError, loadConfig } from '@app/platform';
import { WeatherResult } from '@app/contracts';
import { WeatherProviderHandle } from '../../../apps/weather-service/src/provider/weather-provider.server';
import { removeTestKeys } from '../../support/test-env';
import {
  SHORT_UPSTREAM_TIMEOUT,
  WeatherNode,
  sleep,
  startTestProvider,
  startWeatherNode,
  weatherEnv,
} from './helpers';
import { testConfig } from '../../support/test-env';

/**
 * The lock-protected weather cache against real Redis, with several independent "processes" (each its own Valkey
 * connections, lock client and pub/sub subscriber) and in-process sharing turned off, so that every single
 * request goes through the distributed lock and the fill notification. No database is involved.
 */
const CITIES: Array<[string, string]> = [
  ['DE', '10115'],
  ['FR', '75001'],
  ['JP', '100-0001'],
];

describe('weather stampede protection across processes (real Redis)', () => {
  let provider: WeatherProviderHandle;
  let config: AppConfig;
  let nodes: WeatherNode[];
  const repliedAt = new Map<string, number>();

  beforeEach(async () => {
    repliedAt.clear();
    // Record when the provider answered each city, to order every request's completion against it.
    provider = await startTestProvider({
      minDelayMs: 80,
      maxDelayMs: 120,
      onReply: (city) => repliedAt.set(city, performance.now()),
    });
    config = testConfig('mysql', weatherEnv(provider));
    nodes = await Promise.all([0, 1, 2, 3].map(() => startWeatherNode(config, { coalesce: false })));
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await provider.close();
    await removeTestKeys(config);
  });

  it('200 concurrent cold requests for 3 cities over 4 processes: exactly 3 provider calls, all answered after them', async () => {
    const done: Array<{ city: string; at: number; r: WeatherResult }> = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const [country, zip] = CITIES[i % 3];
        const r = await nodes[i % 4].service.current({ country, zip });
        done.push({ city: `${country}:${zip}`, at: performance.now(), r });
      }),
    );

    expect(done).toHaveLength(200);
    expect(provider.stats().calls).toBe(3);
    expect(provider.stats().byCity).toEqual({ 'DE:10115': 1, 'FR:75001': 1, 'JP:100-0001': 1 });
    for (const [country, zip] of CITIES) {
      const mine = done.filter((d) => d.city === `${country}:${zip}`);
      const owners = mine.filter((d) => d.r.source === 'upstream');
      expect(owners).toHaveLength(1);
      expect(owners[0].r.weather.lock).toBe('acquired');
      // Everybody got the one value the owner fetched.
      expect(new Set(mine.map((d) => d.r.weather.fetchedAt)).size).toBe(1);
      expect(new Set(mine.map((d) => d.r.value.dt)).size).toBe(1);
    }
    const waiters = done.filter((d) => d.r.weather.lock === 'waited');
    expect(waiters.length).toBeGreaterThan(100);
    for (const w of waiters) {
      // Woken by the owner's notification (or found the value right after subscribing), never by a timeout/poll.
      expect(['notification', 'recheck']).toContain(w.r.weather.wokenBy);
      expect(w.r.source).toBe('cache');
    }
    // Ordering, not timing: no request finished before the provider had answered for its city.
    for (const d of done) expect(d.at).toBeGreaterThan(repliedAt.get(d.city)!);
  });

  it('an owner whose lock expired cannot release the lock a newer owner holds', async () => {
    const [a, b] = nodes.map((n) => n.primitives.lock);
    const first = await a.acquire('weather:DE:10115', 50);
    expect(first).not.toBeNull();
    await sleep(120);
    const second = await b.acquire('weather:DE:10115', 5000);
    expect(second).not.toBeNull();
    expect(await a.release('weather:DE:10115', first!)).toBe(false);
    expect(await a.owner('weather:DE:10115')).toBe(second);
    expect(await b.release('weather:DE:10115', second!)).toBe(true);
  });

  it('a failing provider is called once; every waiter shares the 502', async () => {
    provider.setFaults({ errorRate: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => nodes[i % 4].service.current({ country: 'DE', zip: '10115' })),
    );
    expect(provider.stats().calls).toBe(1);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as { getStatus(): number; message: string };
      expect(e.getStatus()).toBe(502);
      expect(e.message).toMatch(/HTTP 500/);
    }
  });

  it('serves the stale value, saying why, when the provider fails after expiry', async () => {
    config = testConfig('mysql', weatherEnv(provider, { WEATHER_CACHE_TTL: '1' }));
    const node = await startWeatherNode(config);
    try {
      const fresh = await node.service.current({ country: 'FR', zip: '75001' });
      expect(fresh.source).toBe('upstream');
      await sleep(1100);
      provider.setFaults({ errorRate: 1 });
      const stale = await node.service.current({ country: 'FR', zip: '75001' });
      expect(stale).toMatchObject({ source: 'cache', stale: true, weather: { stale: true } });
      expect(stale.weather.staleReason).toMatch(/HTTP 500/);
      expect(stale.value).toEqual(fresh.value);
      provider.setFaults({ errorRate: 0, timeoutRate: 1 }); // never answers: any timeout is reached
      // A second process of the same service, with a short upstream timeout, over the same cache.
      const impatient = await startWeatherNode(
        testConfig(
          'mysql',
          weatherEnv(provider, {
            WEATHER_CACHE_TTL: '1',
            CACHE_KEY_PREFIX: config.cache.keyPrefix,
            ...SHORT_UPSTREAM_TIMEOUT,
          }),
        ),
      );
      try {
        const staleAfterTimeout = await impatient.service.current({ country: 'FR', zip: '75001' });
        expect(staleAfterTimeout.weather.staleReason).toMatch(/did not answer within 500 ms/);
        // A city never cached has nothing to fall back on: 504 for a timeout.
        const err = await impatient.service
          .current({ country: 'DE', zip: '80331' })
          .catch((e: { getStatus(): number }) => e);
        expect((err as { getStatus(): number }).getStatus()).toBe(504);
      } finally {
        await impatient.close();
      }
    } finally {
      await node.close();
      await removeTestKeys(config);
    }
  });

  it('refreshes a hot key shortly before expiry in the background, serving the current value meanwhile', async () => {
    config = testConfig(
      'mysql',
      weatherEnv(provider, { WEATHER_CACHE_TTL: '2', WEATHER_EARLY_REFRESH: '1' }),
    );
    const node = await startWeatherNode(config);
    try {
      const first = await node.service.current({ country: 'GB', zip: 'EC1A' });
      await sleep(1100); // inside the last second of freshness
      // The background refresh announces its stored value like any owner does.
      const refreshed = node.primitives.fill.waitFor('weather:GB:EC1A', 3000);
      const hot = await node.service.current({ country: 'GB', zip: 'EC1A' });
      expect(hot).toMatchObject({
        source: 'cache',
        weather: { earlyRefresh: true, fetchedAt: first.weather.fetchedAt },
      });
      expect(await refreshed).toBe(true);
      const after = await node.service.current({ country: 'GB', zip: 'EC1A' });
      expect(after.source).toBe('cache');
      expect(after.weather.fetchedAt! > first.weather.fetchedAt!).toBe(true);
      expect(provider.stats().calls).toBe(2);
    } finally {
      await node.close();
      await removeTestKeys(config);
    }
  });

  it('with the cache down, calls the provider directly instead of failing', async () => {
    const { freePort } = await import('../../support');
    config = testConfig('mysql', weatherEnv(provider, { CACHE_PORT: String(await freePort()) }));
    const node = await startWeatherNode(config);
    try {
      const r = await node.service.current({ country: 'US', zip: '10001' });
      expect(r).toMatchObject({
        source: 'upstream',
        cacheKey: null,
        weather: { lock: 'bypassed', cacheUnavailable: true },
      });
    } finally {
      await node.close();
    }
  });
});

describe('weather configuration', () => {
  it('rejects a lock TTL under one second at start-up, naming the setting', () => {
    expect(() => loadConfig({ WEATHER_LOCK_TTL_MS: '999' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEATHER_LOCK_TTL_MS: '999' })).toThrow(/WEATHER_LOCK_TTL_MS/);
  });

  it('rejects a lock TTL that a provider call can outlast', () => {
    expect(() => loadConfig({ WEATHER_LOCK_TTL_MS: '2000', WEATHER_UPSTREAM_TIMEOUT_MS: '3000' })).toThrow(
      /WEATHER_LOCK_TTL_MS.*WEATHER_UPSTREAM_TIMEOUT_MS/,
    );
    expect(
      loadConfig({ WEATHER_LOCK_TTL_MS: '4000', WEATHER_UPSTREAM_TIMEOUT_MS: '3000' }).weather.lockTtlMs,
    ).toBe(4000);
  });
});
