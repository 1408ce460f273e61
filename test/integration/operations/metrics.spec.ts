import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, METRIC_SPECS } from '@app/platform';
import { SEED_FIXTURES } from '../../../tools/seed/generator';
import { APPS, AppName } from '../../../tools/startup/apps';
import {
  asPromQL,
  dashboardQueries,
  Exposition,
  metricNamesIn,
  parseExposition,
  valueOf,
} from '../../../tools/observability/exposition';
import { seatName } from '@app/contracts';
import { createSeededTestDatabase } from '../../support/seeded';
import { recordChild } from '../../support/test-run';
import { uniqueSuffix } from '../../support/test-env';
import {
  Child,
  closedPort,
  configWithFreePorts,
  deleteKeysWithPrefix,
  distPath,
  envFor,
  exitOf,
  freePorts,
  ROOT,
  spawnApp,
  spawnCommand,
  spawnNode,
  stopAll,
  waitFor,
} from '../foundation/support';

/**
 * The five apps from dist/, as deployed, on ports of their own over the `tiny` dataset, with their stdout a pipe
 * (LOG_FORMAT auto -> JSON): the request id from the gateway into the service, what every app exports on
 * /metrics and that those figures count what happened, the health probe, and a real Prometheus (Debian's
 * `prometheus` package; .ci/run installs it) scraping every app and answering every dashboard query.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROMETHEUS = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
const PROMTOOL = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();

interface LogLine {
  level: string;
  time: string;
  app: string;
  msg: string;
  context?: string;
  requestId?: string;
}

describe('a running stack: request ids, JSON logs, metrics, probes, Prometheus (MariaDB)', () => {
  let config: AppConfig;
  let dropDatabase: (() => Promise<void>) | undefined;
  const apps = new Map<AppName, Child>();
  let base = '';

  const metricsUrl = (app: AppName) => {
    const port = {
      gateway: config.gateway.port,
      'query-service': config.metrics.queryService,
      'writer-service': config.metrics.writerService,
      'weather-service': config.metrics.weatherService,
      'cache-warmer': config.metrics.cacheWarmer,
    }[app];
    return `http://127.0.0.1:${port}/metrics`;
  };
  const scrape = async (app: AppName): Promise<Exposition> => {
    const res = await fetch(metricsUrl(app));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return parseExposition(await res.text());
  };
  const logLines = (app: AppName): string[] =>
    apps
      .get(app)!
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
  const json = <T>(res: Response) => res.json() as Promise<T>;

  beforeAll(async () => {
    const [query, writer, weather, warmer] = await freePorts(4);
    config = await configWithFreePorts('mysql', {
      QUERY_SERVICE_METRICS_PORT: String(query),
      WRITER_SERVICE_METRICS_PORT: String(writer),
      WEATHER_SERVICE_METRICS_PORT: String(weather),
      CACHE_WARMER_METRICS_PORT: String(warmer),
    });
    dropDatabase = await createSeededTestDatabase(config);
    for (const app of APPS) {
      // Debug: one line per HTTP request (gateway) and per message (services), with the request id.
      const child = spawnApp(app.name, envFor(config, { LOG_LEVEL: 'debug', WRITE_BEHIND_BLOCK_MS: '50' }));
      recordChild(child.process.pid, `${app.name} (operations/metrics.spec)`);
      apps.set(app.name, child);
    }
    base = `http://127.0.0.1:${config.gateway.port}`;
    await waitFor(
      async () => ((await fetch(`${base}/health`)).status === 200 ? true : undefined),
      90_000,
      'every app healthy',
    );
  });

  afterAll(async () => {
    await stopAll([...apps.values()]);
    if (config) await deleteKeysWithPrefix(config);
    await dropDatabase?.();
  });

  describe('request ids and logs', () => {
    const id = `ops-${uniqueSuffix()}`;

    it('the gateway answers with the x-request-id it was given, or with a new one', async () => {
      const given = await fetch(`${base}/api/flights/${SEED_FIXTURES.dashboardFlightId}`, {
        headers: { 'x-request-id': id },
      });
      expect(given.status).toBe(200);
      expect(given.headers.get('x-request-id')).toBe(id);
      expect((await json<{ meta: { source: string } }>(given)).meta.source).toBe('database');

      const none = await fetch(`${base}/api/flights/${SEED_FIXTURES.dashboardFlightId}`);
      expect(none.headers.get('x-request-id')).toMatch(UUID);
      // Too long (or with characters that could split a log line) is not taken.
      const bad = await fetch(`${base}/api/flights/${SEED_FIXTURES.dashboardFlightId}`, {
        headers: { 'x-request-id': 'x'.repeat(200) },
      });
      expect(bad.headers.get('x-request-id')).toMatch(UUID);
      const notFound = await fetch(`${base}/no/such/route`, { headers: { 'x-request-id': `${id}-404` } });
      expect(notFound.status).toBe(404);
      expect(notFound.headers.get('x-request-id')).toBe(`${id}-404`);
    });

    it('the request id is in the gateway`s log line for the request and in the query-service`s for its message', async () => {
      const lines = await waitFor(
        async () => {
          const byApp = Object.fromEntries(
            (['gateway', 'query-service'] as const).map((app) => [
              app,
              logLines(app)
                .map((l) => JSON.parse(l) as LogLine)
                .filter((l) => l.requestId === id),
            ]),
          );
          return byApp.gateway.length && byApp['query-service'].length ? byApp : undefined;
        },
        15_000,
        'log lines with the request id',
      );
      expect(lines.gateway.map((l) => l.msg)).toContainEqual(
        expect.stringMatching(new RegExp(`^GET /api/flights/${SEED_FIXTURES.dashboardFlightId} -> 200 in `)),
      );
      expect(lines['query-service'].map((l) => l.msg)).toContainEqual(
        expect.stringMatching(/^reads\.flight answered ok in /),
      );
    });

    it.each(APPS.map((a) => a.name))('%s writes JSON lines only, without colour codes', (app) => {
      const lines = logLines(app);
      expect(lines.length).toBeGreaterThan(3);
      expect(apps.get(app)!.output()).not.toContain('\u001b[');
      for (const line of lines) {
        let parsed: LogLine | undefined;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          parsed = undefined;
        }
        expect({ line, json: parsed !== undefined }).toEqual({ line, json: true });
        expect(parsed).toMatchObject({ app, level: expect.any(String), time: expect.any(String) });
        expect(typeof parsed!.msg).toBe('string');
      }
    });
  });

  describe('metrics', () => {
    beforeAll(async () => {
      // One booking of each kind: events for the warmer, a write-behind entry for the flusher.
      const [from, to] = SEED_FIXTURES.dailyRoutes[0];
      const day = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
      const search = await json<{ data: Array<{ flightId: number }> }>(
        await fetch(`${base}/api/search/flights?from=${from}&to=${to}&date=${day}`),
      );
      const flightId = search.data[0].flightId;
      const seats = await json<{ data: { capacity: number; bookedSeats: string[] } }>(
        await fetch(`${base}/api/flights/${flightId}/seats`),
      );
      const free = Array.from({ length: seats.data.capacity }, (_, i) => seatName(i, seats.data.capacity))
        .reverse()
        .filter((s) => !seats.data.bookedSeats.includes(s));
      const book = (seat: string, mode: string) =>
        fetch(`${base}/api/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ flightId, passengerId: 1, seat, price: 10, mode }),
        });
      expect((await book(free[0], 'write-through')).status).toBe(201);
      const behind = await book(free[1], 'write-behind');
      expect(behind.status).toBe(202);
      const { reference } = (await json<{ data: { reference: string } }>(behind)).data;
      await waitFor(
        async () => {
          const r = await json<{ data?: { status?: string } }>(
            await fetch(`${base}/api/bookings/${reference}`),
          );
          return r.data?.status === 'persisted' ? true : undefined;
        },
        30_000,
        'the write-behind booking persisted',
      );
    });

    it('the gateway counts hits, misses and loads per query class, and requests per route', async () => {
      // Three reads of flight 115 above: one miss (one load), then two hits (Valkey, or this process's near cache).
      const gateway = await waitFor(
        async () => {
          const e = await scrape('gateway');
          return valueOf(e, 'cmiyc_cache_misses_total', { query_class: 'flight' }) === 1 ? e : undefined;
        },
        10_000,
        'the flight reads in the shared statistics',
      );
      const hits = ['remote', 'near'].map(
        (source) => valueOf(gateway, 'cmiyc_cache_hits_total', { query_class: 'flight', source }) ?? 0,
      );
      expect(hits[0] + hits[1]).toBe(2);
      expect(valueOf(gateway, 'cmiyc_cache_loads_total', { query_class: 'flight' })).toBe(1);
      expect(
        valueOf(gateway, 'cmiyc_cache_request_duration_seconds_count', {
          query_class: 'flight',
          source: 'database',
        }),
      ).toBe(1);
      expect(
        valueOf(gateway, 'cmiyc_http_request_duration_seconds_count', {
          method: 'GET',
          route: '/api/flights/:flightId',
          status: '200',
        }),
      ).toBe(3);
      expect(
        valueOf(gateway, 'cmiyc_http_request_duration_seconds_count', {
          method: 'GET',
          route: 'unmatched',
          status: '404',
        }),
      ).toBe(1);
      expect(valueOf(gateway, 'cmiyc_shared_figures_up')).toBe(1);
      const queues = gateway.samples.filter((x) => x.name === 'cmiyc_queue_up');
      expect(queues.length).toBeGreaterThanOrEqual(2);
      expect(queues.map((q) => q.value)).toEqual(queues.map(() => 1));
      expect(valueOf(gateway, 'cmiyc_write_behind_pending')).toBe(0);
    });

    it('each service counts its messages; the writer its flushes; the warmer its invalidations', async () => {
      const query = await scrape('query-service');
      expect(
        valueOf(query, 'cmiyc_rpc_duration_seconds_count', { pattern: 'reads.flight', outcome: 'ok' }),
      ).toBe(1);
      const writer = await waitFor(
        async () => {
          const e = await scrape('writer-service');
          return valueOf(e, 'cmiyc_write_behind_flushed_total', { outcome: 'persisted' }) === 1
            ? e
            : undefined;
        },
        10_000,
        'the flush counted',
      );
      expect(valueOf(writer, 'cmiyc_write_behind_flushed_total', { outcome: 'refused' })).toBe(0);
      expect(
        valueOf(writer, 'cmiyc_rpc_duration_seconds_count', {
          pattern: 'bookings.create',
          outcome: 'ok',
        }),
      ).toBe(2);
      const warmer = await waitFor(
        async () => {
          const e = await scrape('cache-warmer');
          return valueOf(e, 'cmiyc_invalidation_lag_seconds_count') === 2 ? e : undefined;
        },
        20_000,
        'both bookings invalidated',
      );
      expect(valueOf(warmer, 'cmiyc_invalidation_lag_seconds_bucket', { le: '+Inf' })).toBe(2);
      for (const app of APPS.map((a) => a.name)) {
        const e = await scrape(app);
        expect({ app, open: valueOf(e, 'cmiyc_cache_breaker_open') }).toEqual({ app, open: 0 });
        expect({ app, up: valueOf(e, 'cmiyc_cache_health', { state: 'up' }) }).toEqual({ app, up: 1 });
        expect(e.families.has('process_cpu_user_seconds_total')).toBe(true);
        // Every series says which app it is from.
        expect(e.samples.filter((s) => s.labels.app !== app)).toEqual([]);
      }
    });

    it('exports every metric of names.ts, with its type, from the apps names.ts says', async () => {
      const scraped = new Map<AppName, Exposition>();
      for (const app of APPS) scraped.set(app.name, await scrape(app.name));
      const services = APPS.map((a) => a.name).filter((a) => a !== 'gateway');
      for (const spec of METRIC_SPECS) {
        const exporters = APPS.map((a) => a.name).filter((app) => scraped.get(app)!.families.has(spec.name));
        const expected =
          spec.exportedBy === 'every app'
            ? APPS.map((a) => a.name)
            : spec.exportedBy === 'every service'
              ? services
              : [spec.exportedBy];
        expect({ metric: spec.name, exporters: exporters.sort() }).toEqual({
          metric: spec.name,
          exporters: [...expected].sort(),
        });
        for (const app of exporters)
          expect({ metric: spec.name, app, type: scraped.get(app)!.types.get(spec.name) }).toEqual({
            metric: spec.name,
            app,
            type: spec.type,
          });
      }
    });

    (PROMTOOL ? it : it.skip)('passes promtool`s lint of the exposition format', async () => {
      for (const app of APPS.map((a) => a.name)) {
        const text = await (await fetch(metricsUrl(app))).text();
        const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        // promtool lints prom-client's own process metrics too; only problems with this project's metrics fail.
        const ours = `${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.startsWith('cmiyc_'));
        expect({ app, problems: ours }).toEqual({ app, problems: [] });
      }
    });
  });

  describe('a real Prometheus', () => {
    let dir = '';
    let prometheus: Child | undefined;
    let api = '';

    beforeAll(async () => {
      if (!PROMETHEUS) return;
      dir = mkdtempSync(join(tmpdir(), 'cmiyc-prometheus-'));
      const jobs = APPS.map(
        (a) =>
          `  - job_name: ${a.name}\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['${new URL(metricsUrl(a.name)).host}']\n`,
      ).join('');
      writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}`);
      const [port] = await freePorts(1);
      api = `http://127.0.0.1:${port}/api/v1`;
      prometheus = spawnCommand(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { PATH: process.env.PATH },
        dir,
      );
      recordChild(prometheus.process.pid, 'prometheus (operations/metrics.spec)');
    });

    afterAll(async () => {
      if (prometheus) await stopAll([prometheus]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const query = async (expr: string) => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
      return {
        status: res.status,
        body: (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } },
      };
    };

    it('is installed (Debian`s prometheus package; .ci/run installs it)', () => {
      expect(PROMETHEUS).not.toBe('');
    });

    it('scrapes every app and sees what happened', async () => {
      if (!PROMETHEUS) return;
      const health = await waitFor(
        async () => {
          const targets = (await (await fetch(`${api}/targets`)).json()) as {
            data: { activeTargets: Array<{ labels: { job: string }; health: string }> };
          };
          const h = Object.fromEntries(targets.data.activeTargets.map((t) => [t.labels.job, t.health]));
          return APPS.every((a) => h[a.name] === 'up') ? h : undefined;
        },
        30_000,
        'every target up',
      );
      expect(Object.keys(health).sort()).toEqual(APPS.map((a) => a.name).sort());
      const hits = await waitFor(
        async () => {
          const r = await query('sum(cmiyc_cache_hits_total{query_class="flight"})');
          return r.body.data.result.length ? Number(r.body.data.result[0].value[1]) : undefined;
        },
        15_000,
        'the hits scraped',
      );
      expect(hits).toBe(2);
    });

    it('has every metric the dashboard asks for, and runs every dashboard query', async () => {
      if (!PROMETHEUS) return;
      const names = new Set(
        ((await (await fetch(`${api}/label/__name__/values`)).json()) as { data: string[] }).data,
      );
      const queries = dashboardQueries(ROOT);
      const missing = [...new Set(queries.flatMap((q) => metricNamesIn(q.expr)))].filter(
        (n) => !names.has(n),
      );
      expect(missing).toEqual([]);
      for (const q of queries) {
        const r = await query(asPromQL(q.expr));
        expect({ panel: q.panel, expr: q.expr, status: r.body.status }).toEqual({
          panel: q.panel,
          expr: q.expr,
          status: 'success',
        });
      }
    });
  });

  describe('probe.js (the container health check)', () => {
    it.each(APPS.map((a) => a.name))('exits 0 for %s, which is up', async (app) => {
      const probe = spawnNode(distPath('scripts/probe.js'), [app], envFor(config));
      expect({ app, exit: await exitOf(probe, 30_000), output: probe.output() }).toEqual({
        app,
        exit: 0,
        output: '',
      });
    });

    it('exits 1 naming the problem when nothing answers, 2 on bad usage', async () => {
      const port = await closedPort();
      const down = spawnNode(distPath('scripts/probe.js'), ['query-service'], {
        ...envFor(config),
        QUERY_SERVICE_PORT: String(port),
      });
      expect(await exitOf(down, 30_000)).toBe(1);
      expect(down.stderr()).toContain('query-service: health message failed: connect ECONNREFUSED');
      const usage = spawnNode(distPath('scripts/probe.js'), ['no-such-app'], envFor(config));
      expect(await exitOf(usage, 30_000)).toBe(2);
    });
  });
});
