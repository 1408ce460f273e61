import { INestMicroservice } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { performance } from 'node:perf_hooks';
import { AppConfig, startMicroservice } from '@app/platform';
import { WEATHER, WeatherResult } from '@app/contracts';
import {
  TEST_ENGINES,
  createTestDatabase,
  removeTestKeys,
  storedKey,
  testConfig,
} from '../../support/test-env';
import { freePort } from '../../support/redis-server';
import { WeatherServiceModule } from '../../../apps/weather-service/src/app.module';
import { WeatherProviderHandle } from '../../../apps/weather-service/src/provider/weather-provider.server';
import { createGatewayApp } from '../../../apps/gateway/src/gateway.factory';
import { startTestProvider, weatherEnv } from './helpers';

/**
 * The whole weather path on each database engine: two real weather-service microservices (TCP, each with its own
 * Valkey connections and database pool) sharing one provider and one Valkey, and the gateway's HTTP routes.
 */
describe.each(TEST_ENGINES)('weather-service and gateway routes (%s)', (engine) => {
  let provider: WeatherProviderHandle;
  let config: AppConfig;
  let dropDb: () => Promise<void>;
  let serviceA: INestMicroservice;
  let serviceB: INestMicroservice;
  let clientB: ClientProxy;
  let gateway: NestFastifyApplication;
  const repliedAt = new Map<string, number>();
  const admin = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

  const http = async (method: 'GET' | 'DELETE', url: string, headers: Record<string, string> = {}) => {
    const res = await gateway.inject({ method, url, headers });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    provider = await startTestProvider({
      minDelayMs: 60,
      maxDelayMs: 100,
      onReply: (city) => repliedAt.set(city, performance.now()),
    });
    const [portA, portB] = [await freePort(), await freePort()];
    // The 504 test waits this timeout out against a provider that never answers: long enough for a busy machine.
    config = testConfig(
      engine,
      weatherEnv(provider, { WEATHER_SERVICE_PORT: String(portA), WEATHER_UPSTREAM_TIMEOUT_MS: '5000' }),
    );
    dropDb = await createTestDatabase(config);
    serviceA = await startMicroservice(
      WeatherServiceModule.forRoot(config),
      config.weatherService,
      config,
      'weather-a',
    );
    const configB: AppConfig = { ...config, weatherService: { host: '127.0.0.1', port: portB } };
    serviceB = await startMicroservice(
      WeatherServiceModule.forRoot(configB),
      configB.weatherService,
      configB,
      'weather-b',
    );
    clientB = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: portB },
    });
    gateway = await createGatewayApp({ ...config, weatherService: { host: '127.0.0.1', port: portA } });
    await gateway.init();
    await gateway.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await removeTestKeys(config);
    clientB?.close();
    await gateway?.close();
    await serviceA?.close();
    await serviceB?.close();
    await provider?.close();
    await dropDb?.();
  });

  beforeEach(() => {
    provider.resetStats();
    provider.setFaults({ errorRate: 0, timeoutRate: 0 });
    repliedAt.clear();
  });

  it('200 concurrent cold requests for 3 cities over two services: 3 provider calls, every request answered after them', async () => {
    const cities = [
      ['IT', '00118'],
      ['BR', '01310-100'],
      ['ZA', '8001'],
    ];
    const done: Array<{
      city: string;
      at: number;
      status: number;
      result: WeatherResult | null;
      meta: Record<string, unknown>;
    }> = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const [country, zip] = cities[i % 3];
        if (i % 2 === 0) {
          const res = await gateway.inject({
            method: 'GET',
            url: `/api/weather/${country.toLowerCase()}/${zip}`,
          });
          const body = res.json();
          done.push({
            city: `${country}:${zip}`,
            at: performance.now(),
            status: res.statusCode,
            result: null,
            meta: body.meta,
          });
        } else {
          const r = await firstValueFrom(
            clientB.send<WeatherResult>(WEATHER.current.pattern, { country, zip }),
          );
          done.push({
            city: `${country}:${zip}`,
            at: performance.now(),
            status: 200,
            result: r,
            meta: { ...r.weather, source: r.source },
          });
        }
      }),
    );
    expect(done).toHaveLength(200);
    expect(done.every((d) => d.status === 200)).toBe(true);
    expect(provider.stats().calls).toBe(3);
    expect(provider.stats().byCity).toEqual({ 'IT:00118': 1, 'BR:01310-100': 1, 'ZA:8001': 1 });
    for (const [country, zip] of cities) {
      const mine = done.filter((d) => d.city === `${country}:${zip}`);
      expect(mine.filter((d) => d.meta.source === 'upstream')).toHaveLength(1);
      expect(new Set(mine.map((d) => d.meta.fetchedAt)).size).toBe(1);
    }
    const waiters = done.filter((d) => d.meta.lock === 'waited');
    expect(waiters.length).toBeGreaterThanOrEqual(190);
    expect(waiters.every((w) => w.meta.wokenBy !== 'timeout')).toBe(true);
    for (const d of done) expect(d.at).toBeGreaterThan(repliedAt.get(d.city)!);
  });

  it('serves the envelope from the cache on the second read, with the lock account in meta', async () => {
    const first = await http('GET', '/api/weather/US/94102');
    const second = await http('GET', '/api/weather/us/94102');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      data: { name: 'San Francisco', sys: { country: 'US' } },
      meta: {
        source: 'upstream',
        lock: 'acquired',
        lockWaitMs: 0,
        cacheKey: storedKey(config, 'weather:US:94102'),
      },
    });
    expect(second.body.meta).toMatchObject({
      source: 'cache',
      lock: 'none',
      fetchedAt: first.body.meta.fetchedAt,
    });
    expect(second.body.data).toEqual(first.body.data);
    expect(provider.stats().calls).toBe(1);
  });

  it('cache=false bypasses the cache, refresh=true overwrites it', async () => {
    const bypass = await http('GET', '/api/weather/CA/M5H?cache=false');
    expect(bypass.body.meta).toMatchObject({ source: 'upstream', lock: 'bypassed', cacheKey: null });
    const cold = await http('GET', '/api/weather/CA/M5H');
    expect(cold.body.meta.source).toBe('upstream'); // the bypass wrote nothing
    const refreshed = await http('GET', '/api/weather/CA/M5H?refresh=true');
    expect(refreshed.body.meta.source).toBe('upstream');
    expect(refreshed.body.meta.fetchedAt > cold.body.meta.fetchedAt).toBe(true);
    expect(provider.stats().calls).toBe(3);
  });

  it('404 for a city the provider does not know, remembered briefly', async () => {
    const first = await http('GET', '/api/weather/DE/99999');
    const second = await http('GET', '/api/weather/DE/99999');
    expect(first.status).toBe(404);
    expect(first.body.message).toMatch(/DE 99999/);
    expect(second.status).toBe(404);
    expect(provider.stats().calls).toBe(1);
  });

  it('400 naming the field for a bad country, zip or lock TTL', async () => {
    const country = await http('GET', '/api/weather/D1/10115');
    expect(country.status).toBe(400);
    expect(JSON.stringify(country.body.message)).toMatch(/country/);
    const zip = await http('GET', `/api/weather/DE/${encodeURIComponent('10115!')}`);
    expect(zip.status).toBe(400);
    expect(JSON.stringify(zip.body.message)).toMatch(/zip/);
    const ttl = await http('GET', '/api/weather/DE/10115?lockTtlMs=500');
    expect(ttl.status).toBe(400);
    expect(JSON.stringify(ttl.body.message)).toMatch(/lockTtlMs must be at least 1000/);
    const flag = await http('GET', '/api/weather/DE/10115?cache=maybe');
    expect(flag.status).toBe(400);
    expect(JSON.stringify(flag.body.message)).toMatch(/cache must be true or false/);
    expect(provider.stats().calls).toBe(0);
  });

  it('502 when the provider fails and 504 when it times out, with nothing cached to serve', async () => {
    provider.setFaults({ errorRate: 1 });
    const failed = await http('GET', '/api/weather/IN/110001');
    expect(failed.status).toBe(502);
    expect(failed.body.message).toMatch(/HTTP 500/);
    provider.setFaults({ errorRate: 0, timeoutRate: 1 });
    const timedOut = await http('GET', '/api/weather/IN/400001');
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.message).toMatch(/did not answer within 5000 ms/);
  });

  it('lists the provider cities', async () => {
    const res = await http('GET', '/api/weather/cities');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(100);
    expect(res.body.data).toContainEqual({ country: 'DE', zip: '10115', name: 'Berlin' });
  });

  it('evicting a city needs admin credentials; the next read calls the provider', async () => {
    await http('GET', '/api/weather/AU/2000');
    expect((await http('DELETE', '/api/weather/AU/2000')).status).toBe(401);
    const evicted = await http('DELETE', '/api/weather/AU/2000', { authorization: admin });
    expect(evicted).toMatchObject({ status: 200, body: { data: { deleted: 1 } } });
    expect((await http('GET', '/api/weather/AU/2000')).body.meta.source).toBe('upstream');
    expect(provider.stats().calls).toBe(2);
  });
});
