import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CORE_SCHEMA, defineScalarTag, load, mergeTag } from 'js-yaml';
import { AppConfig, loadConfig, METRIC_SPECS, MetricsRegistry } from '@app/platform';
import { APPS } from '../../../tools/startup/apps';
import { PROBE_TARGETS } from '../../../scripts/probe';
import { ROOT } from '../foundation/support';
import { dashboardPanels, dashboardQueries, metricNamesIn } from '../../../tools/observability/exposition';

/**
 * The observability files agree with the apps: Prometheus scrapes every app where it serves /metrics, the
 * dashboard asks only for metrics the apps export, the compose profile wires both, the probe finds every app.
 * (metrics.spec.ts runs the apps and a real Prometheus; this suite only reads files.)
 */
const schema = CORE_SCHEMA.withTags(
  mergeTag,
  defineScalarTag('!reset', { resolve: () => null, identify: () => false }),
);
type Service = {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; timeout?: string; interval?: string; start_period?: string };
};
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');
const compose = load(read('docker-compose.yml'), { schema }) as { services: Record<string, Service> };
const services = compose.services;
const prometheusConfig = load(read('observability/prometheus/prometheus.yml')) as {
  scrape_configs: Array<{
    job_name: string;
    metrics_path?: string;
    static_configs: Array<{ targets: string[] }>;
  }>;
};

/** Where an app serves /metrics inside the compose network: its service name and port. */
function metricsTarget(app: string, config: AppConfig): string {
  const port =
    app === 'gateway'
      ? config.gateway.port
      : {
          'query-service': config.metrics.queryService,
          'writer-service': config.metrics.writerService,
          'weather-service': config.metrics.weatherService,
          'cache-warmer': config.metrics.cacheWarmer,
        }[app];
  return `${app}:${port}`;
}

const seconds = (duration: string | undefined) => Number(/^(\d+)s$/.exec(duration ?? '')?.[1] ?? NaN);

describe('Prometheus scrape configuration', () => {
  it.each(APPS.map((a) => a.name))('scrapes %s where its container serves /metrics', (app) => {
    const config = loadConfig(services[app].environment!);
    const job = prometheusConfig.scrape_configs.find((j) => j.job_name === app);
    expect(job).toBeDefined();
    expect(job!.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job!.static_configs.flatMap((s) => s.targets)).toEqual([metricsTarget(app, config)]);
    // Each service listens for Prometheus on every interface of its container, on a port set explicitly.
    if (app !== 'gateway') {
      const own = APPS.find((a) => a.name === app)!.endpoint(config);
      expect(own.host).toBe('0.0.0.0');
      expect(Number(metricsTarget(app, config).split(':')[1])).toBeGreaterThan(0);
    }
  });

  it('has a job for every app and for Prometheus itself, nothing else', () => {
    expect(prometheusConfig.scrape_configs.map((j) => j.job_name).sort()).toEqual(
      [...APPS.map((a) => a.name), 'prometheus'].sort(),
    );
  });
});

describe('Grafana dashboard', () => {
  const processMetrics = new Set(
    new MetricsRegistry('x').registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name),
  );
  // Histograms are queried by their series: _bucket, _sum, _count.
  const exported = new Set(
    METRIC_SPECS.flatMap((m) =>
      m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    ),
  );

  it('is valid JSON with panels that each query the provisioned Prometheus data source', () => {
    const panels = dashboardPanels(ROOT);
    expect(panels.length).toBeGreaterThanOrEqual(20);
    const datasource = load(read('observability/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(datasource.datasources[0].url).toBe('http://prometheus:9090');
    for (const p of panels) {
      expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({
        panel: p.title,
        targets: true,
      });
      for (const t of p.targets!)
        expect({ panel: p.title, uid: t.datasource?.uid ?? p.datasource?.uid }).toEqual({
          panel: p.title,
          uid: datasource.datasources[0].uid,
        });
    }
  });

  it('every query names metrics the apps export (or Prometheus`s own `up`)', () => {
    const unknown: Array<{ panel: string; metric: string }> = [];
    for (const q of dashboardQueries(ROOT)) {
      const names = metricNamesIn(q.expr);
      expect({ panel: q.panel, expr: q.expr, names: names.length > 0 }).toEqual({
        panel: q.panel,
        expr: q.expr,
        names: true,
      });
      for (const metric of names)
        if (!exported.has(metric) && !processMetrics.has(metric) && metric !== 'up')
          unknown.push({ panel: q.panel, metric });
    }
    expect(unknown).toEqual([]);
  });

  it('shows hit rate, latency by source, stampede counters, queue and write-behind health', () => {
    const all = dashboardQueries(ROOT)
      .map((q) => q.expr)
      .join('\n');
    for (const metric of [
      'cmiyc_cache_hits_total',
      'cmiyc_cache_misses_total',
      'cmiyc_cache_request_duration_seconds_bucket',
      'cmiyc_cache_coalesced_total',
      'cmiyc_cache_lock_waits_total',
      'cmiyc_cache_breaker_open',
      'cmiyc_queue_jobs',
      'cmiyc_write_behind_pending',
      'cmiyc_write_behind_oldest_age_seconds',
      'cmiyc_write_behind_flushed_total',
      'cmiyc_invalidation_lag_seconds_bucket',
      'cmiyc_http_request_duration_seconds_count',
    ])
      expect(all).toContain(metric);
  });

  it('finds metric names in PromQL, not functions, labels or keywords', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, source) (rate(a_bucket{x=~"5..", y!="b c"}[$__rate_interval]))) / on (app) b',
      ).sort(),
    ).toEqual(['a_bucket', 'b']);
  });
});

describe('docker compose: profile observability', () => {
  const observability = Object.entries(services).filter(([, s]) => s.profiles?.includes('observability'));

  it('adds Prometheus and Grafana only under the profile, published on 127.0.0.1', () => {
    expect(observability.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    for (const [, s] of observability) {
      expect(s.ports!.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
      expect(s.healthcheck?.test?.length).toBeGreaterThan(1);
    }
  });

  it('mounts the scrape configuration, the provisioning and the dashboards from the repository', () => {
    const mounts = observability.flatMap(([, s]) => s.volumes ?? []).filter((v) => v.startsWith('./'));
    expect(mounts.length).toBeGreaterThanOrEqual(3);
    for (const m of mounts) expect(existsSync(resolve(ROOT, m.split(':')[0]))).toBe(true);
    expect(services.prometheus.volumes).toContain(
      './observability/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(services.grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
  });

  it('publishes the gateway on 127.0.0.1 unless GATEWAY_BIND_ADDRESS widens it', () => {
    expect(services.gateway.ports).toEqual([
      '${GATEWAY_BIND_ADDRESS:-127.0.0.1}:${GATEWAY_HOST_PORT:-3000}:3000',
    ]);
  });

  it.each(APPS.map((a) => a.name))(
    '%s: health check by the probe (no application code), with room for a busy machine',
    (app) => {
      const check = services[app].healthcheck!;
      expect(check.test).toEqual(['CMD', 'node', 'dist/scripts/probe.js', app, '--timeout-ms', '25000']);
      // The probe gives up before Docker does, so its reason lands in the health log.
      expect(seconds(check.timeout)).toBeGreaterThan(25);
      expect(seconds(check.start_period)).toBeGreaterThanOrEqual(60);
    },
  );

  it('the Dockerfile builds offline on the current Node LTS (no # syntax frontend to fetch)', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).not.toMatch(/^#\s*syntax\s*=/im);
    const bases = [...dockerfile.matchAll(/^FROM\s+(node:\S+)/gim)].map((m) => m[1]);
    expect(bases.length).toBe(3);
    for (const b of bases) expect(b).toBe('node:24-bookworm-slim');
  });
});

describe('probe.js', () => {
  it('finds every app on the variable and default port the configuration uses', () => {
    const defaults = loadConfig({});
    expect(Object.keys(PROBE_TARGETS).sort()).toEqual(APPS.map((a) => a.name).sort());
    for (const app of APPS) {
      const t = PROBE_TARGETS[app.name];
      expect({ app: app.name, kind: t.kind, variable: t.portVariable, port: t.defaultPort }).toEqual({
        app: app.name,
        kind: app.health,
        variable: app.portVariable,
        port: app.endpoint(defaults).port,
      });
    }
  });

  it('loads nothing but Node`s own modules', () => {
    const compiled = read('dist/scripts/probe.js');
    const required = [...compiled.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((r) => !r.startsWith('node:'))).toEqual([]);
  });
});
