import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, SETTING_NAMES, loadConfig, renderEnvExample } from './config';
import { SETTINGS } from './settings';
import * as configModule from './config';

/** The error loadConfig throws for this environment (fails the test if it throws none). */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig', () => {
  it('gives a complete configuration from an empty environment (every default is valid)', () => {
    const c = loadConfig({});
    expect(c.db).toMatchObject({
      engine: 'mysql',
      flavor: 'mysql',
      host: 'localhost',
      port: 3306,
      user: 'root',
    });
    expect(c.db.poolSize).toBe(10);
    expect(c.cache).toMatchObject({ host: 'localhost', port: 6379, tls: false, keyPrefix: 'cmiyc:' });
    expect(c.cache.password).toBeUndefined();
    expect(c.logLevel).toBe('log');
    expect(c.seedScale).toBe('small');
  });

  it('derives the database port and user from the engine, unless set', () => {
    expect(loadConfig({ DB_ENGINE: 'postgres' }).db).toMatchObject({
      engine: 'postgres',
      flavor: 'postgres',
      port: 5432,
      user: 'postgres',
    });
    expect(loadConfig({ DB_ENGINE: 'postgresql' }).db.flavor).toBe('postgres');
    expect(loadConfig({ DB_ENGINE: 'mariadb' }).db).toMatchObject({
      engine: 'mysql',
      flavor: 'mariadb',
      port: 3306,
    });
    expect(loadConfig({ DB_ENGINE: 'postgres', DB_PORT: '6543', DB_USER: 'app' }).db).toMatchObject({
      port: 6543,
      user: 'app',
    });
  });

  it('reads DB_REPLICA_HOSTS as host:port entries; a replica without a port listens on the primary port', () => {
    expect(loadConfig({}).db.replicas).toEqual([]);
    expect(loadConfig({ DB_REPLICA_HOSTS: ' , ' }).db.replicas).toEqual([]);
    expect(
      loadConfig({ DB_ENGINE: 'postgres', DB_PORT: '6543', DB_REPLICA_HOSTS: 'r1:5433, r2 ,10.0.0.3:5434' })
        .db.replicas,
    ).toEqual([
      { host: 'r1', port: 5433 },
      { host: 'r2', port: 6543 },
      { host: '10.0.0.3', port: 5434 },
    ]);
    expect(loadConfig({}).db).toMatchObject({ replicaMaxLagMs: 500, replicaRetryMs: 5000 });
    for (const bad of ['r1:0', 'r1:70000', 'r1:x', 'r1:', 'a b:3306'])
      expect(configError({ DB_REPLICA_HOSTS: bad }).message).toMatch(
        new RegExp(`^Invalid DB_REPLICA_HOSTS entry "${bad}"`),
      );
  });

  it('reads enums case-insensitively and keeps them lower case', () => {
    expect(loadConfig({ DB_ENGINE: 'MariaDB' }).db.flavor).toBe('mariadb');
    expect(loadConfig({ LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
  ])('reads the boolean %s as %s', (raw, value) => {
    expect(loadConfig({ CACHE_TLS: raw }).cache.tls).toBe(value);
  });

  it('treats an empty value as unset for everything but strings', () => {
    expect(loadConfig({ DB_POOL_SIZE: '', CACHE_PORT: '', CACHE_TLS: '' }).cache.port).toBe(6379);
    expect(loadConfig({ DB_POOL_SIZE: '' }).db.poolSize).toBe(10);
    expect(loadConfig({ DB_PASSWORD: '' }).db.password).toBe('');
  });

  it('the queue server defaults to the cache server, each part separately', () => {
    const c = loadConfig({
      CACHE_HOST: 'cache',
      CACHE_PORT: '7000',
      CACHE_PASSWORD: 's3cret',
      CACHE_TLS: 'true',
    });
    expect(c.queue).toEqual({ host: 'cache', port: 7000, password: 's3cret', tls: true, clusterNodes: [] });
    const q = loadConfig({
      CACHE_HOST: 'cache',
      QUEUE_HOST: 'queue',
      QUEUE_PORT: '7001',
      QUEUE_TLS: 'false',
    });
    expect(q.queue).toMatchObject({ host: 'queue', port: 7001, tls: false });
  });
  it('a cluster is a setting: the queue uses the cache cluster unless it has a server or cluster of its own', () => {
    const c = loadConfig({ CACHE_CLUSTER_NODES: 'n1:7000, n2:7001,n3', CACHE_SHARDS: '6' });
    expect(c.cache.clusterNodes).toEqual([
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 7001 },
      { host: 'n3', port: 6379 },
    ]);
    expect(c.cache.shards).toBe(6);
    expect(c.queue.clusterNodes).toEqual(c.cache.clusterNodes);
    expect(loadConfig({ CACHE_CLUSTER_NODES: 'n1:7000', QUEUE_HOST: 'q' }).queue.clusterNodes).toEqual([]);
    expect(
      loadConfig({ CACHE_CLUSTER_NODES: 'n1:7000', QUEUE_CLUSTER_NODES: 'q1:7100' }).queue.clusterNodes,
    ).toEqual([{ host: 'q1', port: 7100 }]);
    expect(() => loadConfig({ CACHE_CLUSTER_NODES: 'n1:99999' })).toThrow(
      'Invalid CACHE_CLUSTER_NODES entry',
    );
    expect(() => loadConfig({ CACHE_SHARDS: '0' })).toThrow('CACHE_SHARDS');
  });

  it('reads numbers within their range', () => {
    const c = loadConfig({ WEATHER_PROVIDER_ERROR_RATE: '0.25', WRITE_BEHIND_LANES: '16', TTL_SEATS: '1' });
    expect(c.weather.errorRate).toBe(0.25);
    expect(c.writeBehind.lanes).toBe(16);
    expect(c.cache.ttl.seats).toBe(1);
  });

  it.each([
    ['CACHE_PORT', '0', 'a port number from 1 to 65535'],
    ['CACHE_PORT', '65536', 'a port number from 1 to 65535'],
    ['CACHE_PORT', '6379x', 'a port number from 1 to 65535'],
    ['DB_POOL_SIZE', '0', 'a whole number from 1 to 200'],
    ['DB_POOL_SIZE', '201', 'a whole number from 1 to 200'],
    ['DB_POOL_SIZE', '2.5', 'a whole number from 1 to 200'],
    ['DB_POOL_SIZE', 'ten', 'a whole number from 1 to 200'],
    ['WEATHER_PROVIDER_ERROR_RATE', '1.5', 'a number from 0 to 1'],
    ['WEATHER_PROVIDER_ERROR_RATE', 'often', 'a number from 0 to 1'],
    ['WEATHER_PROVIDER_ERROR_RATE', ' ', 'a number from 0 to 1'],
    ['CACHE_TLS', 'maybe', 'true or false'],
    ['DB_ENGINE', 'oracle', 'one of mysql, mariadb, postgres, postgresql'],
  ])('refuses %s=%j, naming the variable, the value and what is allowed', (name, raw, allowed) => {
    expect(configError({ [name]: raw }).message).toBe(
      `Invalid ${name}=${JSON.stringify(raw)}: expected ${allowed}`,
    );
  });

  it('checks settings against each other', () => {
    expect(
      configError({ WEATHER_PROVIDER_MIN_DELAY_MS: '500', WEATHER_PROVIDER_MAX_DELAY_MS: '100' }).message,
    ).toMatch(
      /^Invalid WEATHER_PROVIDER_MAX_DELAY_MS="100": expected a value >= WEATHER_PROVIDER_MIN_DELAY_MS/,
    );
    expect(configError({ WEATHER_LOCK_TTL_MS: '3000', WEATHER_UPSTREAM_TIMEOUT_MS: '3000' }).message).toMatch(
      /^Invalid WEATHER_LOCK_TTL_MS="3000": expected more than WEATHER_UPSTREAM_TIMEOUT_MS/,
    );
    expect(configError({ CACHE_KEY_PREFIX: '' }).message).toMatch(/^Invalid CACHE_KEY_PREFIX=""/);
  });

  it('INTERNAL_TOKEN: empty when unset (admin messages refused), at least 16 characters when set, never echoed', () => {
    expect(loadConfig({}).internalToken).toBe('');
    expect(loadConfig({ INTERNAL_TOKEN: 'x'.repeat(16) }).internalToken).toBe('x'.repeat(16));
    const e = configError({ INTERNAL_TOKEN: 'short-secret' });
    expect(e.message).toMatch(/^Invalid INTERNAL_TOKEN: expected at least 16 characters/);
    expect(e.message).not.toContain('short-secret');
  });

  it('ensureInternalToken makes one up only when none is set, so the apps npm start runs share it', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(configModule.ensureInternalToken(env)).toBe(true);
    expect(env.INTERNAL_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    const made = env.INTERNAL_TOKEN;
    expect(configModule.ensureInternalToken(env)).toBe(false);
    expect(env.INTERNAL_TOKEN).toBe(made);
    expect(loadConfig(env).internalToken).toBe(made);
  });

  it('SERVICE_TRANSPORT: tcp unless set; NATS_URL one or several servers; NATS_SUBJECT_PREFIX without wildcards', () => {
    expect(loadConfig({}).transport).toEqual({
      kind: 'tcp',
      natsServers: ['nats://127.0.0.1:4222'],
      subjectPrefix: 'cmiyc.',
    });
    const nats = loadConfig({
      SERVICE_TRANSPORT: 'nats',
      NATS_URL: 'nats://a:4222, nats://b:4222',
      NATS_SUBJECT_PREFIX: 'staging.',
    });
    expect(nats.transport).toEqual({
      kind: 'nats',
      natsServers: ['nats://a:4222', 'nats://b:4222'],
      subjectPrefix: 'staging.',
    });
    expect(configError({ SERVICE_TRANSPORT: 'grpc' }).message).toContain('SERVICE_TRANSPORT');
    expect(configError({ NATS_URL: 'http://a:4222' }).message).toContain('NATS_URL');
    expect(configError({ NATS_URL: ' , ' }).message).toContain('NATS_URL');
    expect(configError({ NATS_SUBJECT_PREFIX: 'a.*.' }).message).toContain('NATS_SUBJECT_PREFIX');
    expect(configError({ NATS_SUBJECT_PREFIX: 'a b' }).message).toContain('NATS_SUBJECT_PREFIX');
  });

  it('WEATHER_PROVIDER_EMBEDDED: the weather-service starts the mock provider unless told not to', () => {
    expect(loadConfig({}).weather.embeddedProvider).toBe(true);
    expect(loadConfig({ WEATHER_PROVIDER_EMBEDDED: 'false' }).weather.embeddedProvider).toBe(false);
  });

  it('ConfigError is an Error named ConfigError (one line for a person, no stack needed)', () => {
    const e = configError({ CACHE_PORT: 'x' });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ConfigError');
    expect(e.message).not.toContain('\n');
  });
});

describe('SETTINGS', () => {
  it('declares every variable once, with a description and a group', () => {
    expect(SETTING_NAMES.size).toBe(SETTINGS.length);
    for (const s of SETTINGS) {
      expect(s.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(s.description.trim()).not.toBe('');
      expect(s.group.trim()).not.toBe('');
      if (s.kind === 'enum') expect(s.allowed?.length).toBeGreaterThan(0);
      if (s.min !== undefined) expect(s.max).toBeGreaterThanOrEqual(s.min);
    }
  });

  it('passwords are marked secret', () => {
    for (const s of SETTINGS.filter((x) => x.name.endsWith('PASSWORD'))) expect(s.secret).toBe(true);
  });
});

describe('renderEnvExample', () => {
  const text = renderEnvExample();

  it('lists every setting once, under its group, with its description', () => {
    for (const s of SETTINGS) {
      const line = new RegExp(`^(# )?${s.name}=`, 'm');
      expect(text).toMatch(line);
      expect(text.split('\n').filter((l) => line.test(l))).toHaveLength(1);
    }
    for (const group of new Set(SETTINGS.map((s) => s.group))) expect(text).toContain(`# --- ${group} ---`);
  });

  it('leaves derived settings commented out and writes defaults as they are', () => {
    expect(text).toMatch(/^# DB_PORT=$/m);
    expect(text).toMatch(/^DB_ENGINE=mysql$/m);
    expect(text).toMatch(/^DB_PASSWORD=$/m);
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('loadEnvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmiyc-config-'));
  let load: jest.SpyInstance;
  beforeEach(() => {
    // Node's loader writes to the real environment: watch the calls instead of letting it run.
    load = jest.spyOn(process, 'loadEnvFile').mockImplementation(() => undefined);
  });
  afterEach(() => load.mockRestore());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh copy of the module (loadEnvFile remembers that it ran). */
  const fresh = () => {
    let mod!: typeof configModule;
    jest.isolateModules(() => (mod = jest.requireActual<typeof configModule>('./config')));
    return mod;
  };

  it('loads an existing file once per process', () => {
    const file = join(dir, '.env');
    writeFileSync(file, 'CMIYC_UNIT=1\n');
    const { loadEnvFile } = fresh();
    loadEnvFile(file);
    loadEnvFile(file);
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith(file);
  });

  it('a missing file is no error', () => {
    const { loadEnvFile } = fresh();
    expect(() => loadEnvFile(join(dir, 'missing.env'))).not.toThrow();
    expect(load).not.toHaveBeenCalled();
  });

  it('loadConfig reads it only for the process environment, not for an environment it is given', () => {
    const { loadConfig: load1 } = fresh();
    load1({});
    expect(load).not.toHaveBeenCalled();
  });
});
