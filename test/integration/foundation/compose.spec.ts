import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CORE_SCHEMA, defineScalarTag, load, mergeTag } from 'js-yaml';
import { loadConfig, SETTING_NAMES } from '@app/platform';
import { APPS, appMainPath } from '../../../tools/startup/apps';
import { distPath, ROOT } from './support';

/**
 * No Docker engine runs here, so the compose files are checked for what would break `docker compose up`:
 * health checks and start order, settings the apps accept, eviction policies, ports, Dockerfile stages.
 */
const RESET = Symbol('!reset');
const schema = CORE_SCHEMA.withTags(
  mergeTag,
  defineScalarTag('!reset', { resolve: () => RESET, identify: () => false }),
);

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  restart?: string;
};
type Compose = { services: Record<string, Service> };

const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');
const loadCompose = (file: string) => load(read(file), { schema }) as Compose;

/** Compose's merge rules, as far as these files use them: maps merge, !reset removes, command/test replace. */
function merge(base: unknown, override: unknown, key = ''): unknown {
  if (Array.isArray(override)) {
    return key === 'command' || key === 'test' || !Array.isArray(base) ? override : [...base, ...override];
  }
  if (override && typeof override === 'object') {
    const out: Record<string, unknown> = { ...((base as Record<string, unknown>) ?? {}) };
    for (const [k, v] of Object.entries(override)) {
      if (v === RESET) delete out[k];
      else out[k] = merge(out[k], v, k);
    }
    return out;
  }
  return override;
}

/** The services that run with the given profiles, as `docker compose --profile ... up` would start them. */
function enabled(compose: Compose, profiles: string[]): Record<string, Service> {
  return Object.fromEntries(
    Object.entries(compose.services).filter(
      ([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p)),
    ),
  );
}

/** "127.0.0.1:${X:-6379}:6379" -> { published: 6379, target: 6379 } (compose's default for the variable). */
function parsePort(spec: string): { published: number; target: number } {
  const parts = spec.replace(/\$\{[A-Z_]+:-(\d+)\}/g, '$1').split(':');
  return { published: Number(parts[parts.length - 2]), target: Number(parts[parts.length - 1]) };
}

const base = loadCompose('docker-compose.yml');
const variants: Array<[string, Record<string, Service>, string]> = [
  ['MariaDB (default)', enabled(base, []), 'mariadb'],
  [
    'PostgreSQL (override file + --profile postgres)',
    enabled(merge(base, loadCompose('docker-compose.postgres.yml')) as Compose, ['postgres']),
    'postgres',
  ],
];

describe.each(variants)('docker compose: %s', (_name, services, database) => {
  const apps = APPS.map((a) => a.name);

  it('runs the five apps, Valkey for the cache and for queues, the database and the seed job', () => {
    expect(Object.keys(services).sort()).toEqual(
      [...apps, 'valkey-cache', 'valkey-queue', database, 'seed'].sort(),
    );
  });

  it('every long-running service has a health check', () => {
    const without = Object.entries(services)
      .filter(([name, s]) => name !== 'seed' && (s.healthcheck?.test?.length ?? 0) < 2)
      .map(([name]) => name);
    expect(without).toEqual([]);
  });

  it('every file a command or health check runs exists in the build', () => {
    const paths = Object.values(services).flatMap((s) =>
      [...(s.command ?? []), ...(s.healthcheck?.test ?? [])].filter((arg) => arg.startsWith('dist/')),
    );
    expect(paths.length).toBeGreaterThanOrEqual(2 * APPS.length + 1);
    for (const path of paths) expect(existsSync(distPath(path.replace(/^dist\//, '')))).toBe(true);
  });

  it.each(APPS.map((a) => a.name))('%s runs its own entry point and is checked by probe.js', (app) => {
    const s = services[app];
    expect(s.build).toBe('.');
    expect(s.command).toEqual(['node', appMainPath(app)]);
    // probe.js asks what healthcheck.js asks, without loading the application (see operations/).
    expect(s.healthcheck?.test?.slice(0, 4)).toEqual(['CMD', 'node', 'dist/scripts/probe.js', app]);
  });

  it.each(APPS.map((a) => a.name))(
    '%s waits for what it needs: healthy dependencies, a finished seed job',
    (app) => {
      const deps = services[app].depends_on!;
      const needed = ['valkey-cache', 'valkey-queue', database, 'seed'];
      if (app === 'gateway') needed.push(...apps.filter((a) => a !== 'gateway'));
      expect(Object.keys(deps).sort()).toEqual(needed.sort());
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect({ dep, condition }).toEqual({
          dep,
          condition: dep === 'seed' ? 'service_completed_successfully' : 'service_healthy',
        });
        // A service_healthy dependency must exist in this variant and have a health check to become healthy.
        expect(services[dep]).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep].healthcheck).toBeDefined();
      }
    },
  );

  it('the seed job migrates and generates data once the database is healthy, and is not restarted', () => {
    const seed = services.seed;
    expect(seed.command).toEqual(['node', 'dist/scripts/prepare-db.js']);
    expect(seed.restart).toBe('no');
    expect(seed.depends_on).toEqual({ [database]: { condition: 'service_healthy' } });
  });

  it.each([...APPS.map((a) => a.name), 'seed'])(
    '%s sets only variables the config accepts, with values it accepts, pointing at services that exist',
    (app) => {
      const env = services[app].environment!;
      expect(Object.keys(env).filter((k) => !SETTING_NAMES.has(k))).toEqual([]);
      const config = loadConfig(env);
      expect(config.db.flavor).toBe(database);
      // An app's own endpoint is where it listens (0.0.0.0 in its container); the others are where it calls.
      const own = APPS.find((a) => a.name === app)?.endpoint(config);
      const called = [config.queryService, config.writerService, config.weatherService, config.cacheWarmer]
        .filter((endpoint) => endpoint !== own)
        .map((endpoint) => endpoint.host);
      const hosts = [config.db.host, config.cache.host, config.queue.host, ...called];
      for (const host of hosts) expect(Object.keys(services)).toContain(host);
      if (own) expect({ app, listensOn: own.host }).toEqual({ app, listensOn: '0.0.0.0' });
      expect(config.cache.host).toBe('valkey-cache');
      expect(config.queue.host).toBe('valkey-queue');
    },
  );

  it('ports agree with the configuration: the gateway on 3000, Valkey and the database on their defaults', () => {
    const config = loadConfig(services.gateway.environment!);
    expect(services.gateway.ports!.map(parsePort)).toEqual([
      { published: 3000, target: config.gateway.port },
    ]);
    expect(config.gateway.port).toBe(loadConfig({}).gateway.port);
    expect(services['valkey-cache'].ports!.map(parsePort)[0].target).toBe(config.cache.port);
    expect(services['valkey-queue'].ports!.map(parsePort)[0].target).toBe(config.queue.port);
    expect(services[database].ports!.map(parsePort)[0].target).toBe(config.db.port);
    // Only the gateway is published on every interface; infrastructure stays on 127.0.0.1.
    for (const name of ['valkey-cache', 'valkey-queue', database]) {
      for (const p of services[name].ports!) expect(p.startsWith('127.0.0.1:')).toBe(true);
    }
    for (const app of apps.filter((a) => a !== 'gateway')) expect(services[app].ports).toBeUndefined();
  });

  it('internal services listen on 0.0.0.0 inside their own container only, publish no port, and share INTERNAL_TOKEN', () => {
    const tokens = new Set<string>();
    for (const app of APPS) {
      const config = loadConfig(services[app.name].environment!);
      tokens.add(config.internalToken);
      if (app.name === 'gateway') continue;
      expect({ app: app.name, ports: services[app.name].ports }).toEqual({ app: app.name, ports: undefined });
      // Elsewhere the same variable names the container to call, never 0.0.0.0.
      for (const other of APPS.filter((a) => a.name !== app.name)) {
        const seen = app.endpoint(loadConfig(services[other.name].environment!)).host;
        expect({ app: app.name, in: other.name, host: seen }).toEqual({
          app: app.name,
          in: other.name,
          host: app.name,
        });
      }
    }
    expect(tokens.size).toBe(1);
    expect([...tokens][0].length).toBeGreaterThanOrEqual(16);
  });

  it('loads a real dump mounted from ./dumps into the database on its first start', () => {
    expect(services[database].volumes).toContain(`./dumps/${database}:/docker-entrypoint-initdb.d:ro`);
  });
});

describe('Valkey instances', () => {
  const flag = (service: Service, name: string) => {
    const i = service.command!.indexOf(name);
    return i < 0 ? undefined : service.command![i + 1];
  };

  it('the queue instance never evicts (a lost job or pending booking is a lost write) and persists', () => {
    const queue = base.services['valkey-queue'];
    expect(queue.image).toMatch(/^valkey\/valkey:/);
    expect(flag(queue, '--maxmemory-policy')).toBe('noeviction');
    expect(flag(queue, '--appendonly')).toBe('yes');
  });

  it('the cache instance is bounded and evicts only keys with a TTL (never the write-behind stream) and persists', () => {
    const cache = base.services['valkey-cache'];
    expect(cache.image).toMatch(/^valkey\/valkey:/);
    expect(flag(cache, '--maxmemory')).toMatch(/^\d+[kmg]b$/);
    // The write-behind stream and seat reservations live here, with no TTL: volatile-* cannot evict them.
    expect(flag(cache, '--maxmemory-policy')).toMatch(/^volatile-(lru|lfu|random|ttl)$/);
    expect(flag(cache, '--appendonly')).toBe('yes');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
    image: m[1],
    name: m[2],
  }));

  it('is one multi-stage build on node:24-bookworm-slim: deps, build, prod-deps, runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'prod-deps', 'runtime']);
    for (const s of stages.filter((s) => s.name !== 'build')) expect(s.image).toBe('node:24-bookworm-slim');
    expect(stages.find((s) => s.name === 'build')!.image).toBe('deps');
  });

  it('installs with npm ci, builds, and ships production dependencies plus dist/ as a non-root user', () => {
    expect(dockerfile).toMatch(/RUN npm ci --no-audit --no-fund/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=prod-deps \/app\/node_modules/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/apps\/gateway\/public/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('.dockerignore keeps host builds, dependencies, dumps and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.env', 'dumps', '.git']) expect(ignored).toContain(entry);
  });
});
