import { INestMicroservice } from '@nestjs/common';
import request from 'supertest';
import { AppConfig } from '@app/platform';
import { CacheService, CacheStatsService } from '@app/cache';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import { TestRedisServer } from '../../support/redis-server';
import { createSeededTestDatabase } from '../../support/seeded';
import { ReadsRepository } from '../../../apps/query-service/src/reads/reads.repository';
import { GatewayProcess, ReadStack, startQueryService, startReadStack, utcDay } from './read-stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(TEST_ENGINES)('read path under load and failure on %s', (engine) => {
  const flightId = SEED_FIXTURES.dashboardFlightId;
  const [from, to] = SEED_FIXTURES.dailyRoutes[0];

  describe('stampede: 100 concurrent cold requests over two query-service processes', () => {
    let config: AppConfig;
    let dropDb: () => Promise<void>;
    const services: INestMicroservice[] = [];
    const gateways: GatewayProcess[] = [];

    beforeAll(async () => {
      config = testConfig(engine);
      dropDb = await createSeededTestDatabase(config);
      for (let i = 0; i < 2; i++) {
        const { app, port } = await startQueryService(config);
        services.push(app);
        gateways.push(await GatewayProcess.start(config, port));
      }
    });

    afterAll(async () => {
      await services[0]?.get(CacheService).purgeCachedEntries();
      await services[0]?.get(CacheStatsService).reset();
      await Promise.all(gateways.map((g) => g.close()));
      for (const s of services) await s.close();
      await dropDb?.();
    });

    const searchStats = async () =>
      (await services[0].get(CacheStatsService).snapshot()).classes.find(
        (c) => c.queryClass === 'flight_search',
      );

    it('runs the database query once; every request gets the same answer', async () => {
      const path = `/api/search/flights?from=${from}&to=${to}&date=${utcDay(1)}`;
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => request(gateways[i % 2].url).get(path)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
      const bodies = new Set(responses.map((r) => JSON.stringify(r.body.data)));
      expect(bodies.size).toBe(1);
      expect(new Set(responses.map((r) => r.body.meta.source))).toContain('database');

      // Counted two ways: the repositories' own counters in both processes, and the shared statistics.
      const queries = services.map((s) => s.get(ReadsRepository).loads.get('flight_search') ?? 0);
      expect(queries.reduce((a, b) => a + b, 0)).toBe(1);
      for (const s of services) await s.get(CacheStatsService).flush();
      // The gateways answer hits themselves and flush their statistics every 250 ms: wait for them (bounded).
      const answered = (c?: { hits: number; misses: number; coalesced: number }) =>
        c ? c.hits + c.misses + c.coalesced : 0;
      let search = await searchStats();
      for (let i = 0; i < 300 && answered(search) < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        search = await searchStats();
      }
      expect(search?.loads).toBe(1);
      // Requests that shared another request's load in the same process are counted as coalesced.
      expect(answered(search)).toBe(100);
    });

    it('seat maps are built once too (hash + bitmap under the lock)', async () => {
      const path = `/api/flights/${flightId}/seats`;
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => request(gateways[i % 2].url).get(path)),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(responses.map((r) => JSON.stringify(r.body.data))).size).toBe(1);
      const builds = services.map((s) => s.get(ReadsRepository).loads.get('seats') ?? 0);
      expect(builds.reduce((a, b) => a + b, 0)).toBe(1);
    });
  });

  describe('Valkey stops and comes back', () => {
    let redis: TestRedisServer;
    let stack: ReadStack;
    let dropDb: () => Promise<void>;

    beforeAll(async () => {
      redis = await TestRedisServer.start();
      const config = testConfig(engine, {
        CACHE_PORT: String(redis.port),
        CACHE_BREAKER_COOLDOWN_MS: '200',
        CACHE_COMMAND_TIMEOUT_MS: '100',
        // The database fallback is the subject: no near cache answering from memory in the moment the server dies.
        CACHE_NEAR_MAX_BYTES: '0',
      });
      dropDb = await createSeededTestDatabase(config);
      stack = await startReadStack(config);
    });

    afterAll(async () => {
      await stack?.close();
      await redis?.stop();
      await dropDb?.();
    });

    const paths = [
      `/api/flights/${flightId}`,
      `/api/flights/${flightId}/seats`,
      `/api/flights/${flightId}/manifest`,
      `/api/search/flights?from=${from}&to=${to}&date=${utcDay()}`,
      '/api/airports/JFK',
    ];

    it('answers 200 from the database while the cache is down, /health says so, and hits resume after', async () => {
      for (const p of paths) await stack.http().get(p);
      expect((await stack.http().get(paths[0])).body.meta.source).toBe('cache');

      await redis.stop();
      for (const p of paths) {
        const res = await stack.http().get(p);
        expect({ p, status: res.status, source: res.body.meta?.source }).toEqual({
          p,
          status: 200,
          source: 'database',
        });
      }
      expect((await stack.http().get('/api/flights/99999999')).status).toBe(404);
      const health = await stack.http().get('/health');
      expect(health.status).toBe(503);
      expect(health.body.details.valkey.status).toBe('down');
      const stats = await stack.http().get('/api/stats');
      expect(stats.status).toBe(200);
      expect(stats.body.valkey).toBeNull();

      await redis.start();
      let source = '';
      for (let i = 0; i < 100 && source !== 'cache'; i++) {
        await sleep(100);
        const res = await stack.http().get(paths[0]);
        expect(res.status).toBe(200);
        source = res.body.meta.source;
      }
      expect(source).toBe('cache');
      expect((await stack.http().get('/health')).body.details.valkey.status).toBe('up');
    });
  });
});
