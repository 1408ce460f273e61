import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '@app/platform';
import { distPath, envFor, exitOf, spawnApp, spawnNode } from './support';
import { testConfig } from '../../support/test-env';

/** Configuration: one clear line for a bad value, the original workshop's defaults, `.env` support. */
describe('configuration', () => {
  const errorOf = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it.each([
    [
      { DB_ENGINE: 'oracle' },
      'Invalid DB_ENGINE="oracle": expected one of mysql, mariadb, postgres, postgresql',
    ],
    [{ CACHE_PORT: 'abc' }, 'Invalid CACHE_PORT="abc": expected a port number from 1 to 65535'],
    [{ CACHE_PORT: '70000' }, 'Invalid CACHE_PORT="70000": expected a port number from 1 to 65535'],
    [{ CACHE_TLS: 'maybe' }, 'Invalid CACHE_TLS="maybe": expected true or false'],
    [
      { WEATHER_LOCK_TTL_MS: '500' },
      'Invalid WEATHER_LOCK_TTL_MS="500": expected a whole number from 1000 to 600000',
    ],
    [{ CACHE_TTL: '1.5' }, 'Invalid CACHE_TTL="1.5": expected a whole number from 1 to 2592000'],
    [
      { WEATHER_PROVIDER_ERROR_RATE: '2' },
      'Invalid WEATHER_PROVIDER_ERROR_RATE="2": expected a number from 0 to 1',
    ],
    [{ LOG_LEVEL: 'chatty' }, 'Invalid LOG_LEVEL="chatty": expected one of error, warn, log, debug, verbose'],
    [{ SEED_SCALE: 'huge' }, 'Invalid SEED_SCALE="huge": expected one of tiny, small, medium, large'],
  ])('rejects %j with one line naming the variable, the value and what is allowed', (env, message) => {
    const error = errorOf(env);
    expect(error).toBe(message);
    expect(error).not.toContain('\n');
  });

  it('defaults match the original workshop', () => {
    const c = loadConfig({});
    expect(c.db).toMatchObject({
      engine: 'mysql',
      host: 'localhost',
      port: 3306,
      user: 'root',
      password: '',
    });
    expect(c.db.name).toBe('flughafendb_large');
    expect(c.cache).toMatchObject({ engine: 'valkey', host: 'localhost', port: 6379, defaultTtl: 3600 });
    expect(c.gateway.port).toBe(3000);
    expect(c.seedScale).toBe('small');
  });

  it('derives the database port and user from the engine, and the queue server from the cache', () => {
    const pg = loadConfig({ DB_ENGINE: 'postgresql', CACHE_HOST: 'cachebox', CACHE_PORT: '6390' });
    expect(pg.db).toMatchObject({ engine: 'postgres', flavor: 'postgres', port: 5432, user: 'postgres' });
    expect(pg.queue).toMatchObject({ host: 'cachebox', port: 6390 });
    const maria = loadConfig({ DB_ENGINE: 'MariaDB', DB_PORT: '3307', QUEUE_HOST: 'queuebox' });
    expect(maria.db).toMatchObject({ engine: 'mysql', flavor: 'mariadb', port: 3307, user: 'root' });
    expect(maria.queue.host).toBe('queuebox');
  });

  it('every setting has a default that passes its own validation', () => {
    for (const s of SETTINGS) {
      expect(() => loadConfig(s.default === undefined ? {} : { [s.name]: s.default })).not.toThrow();
    }
  });

  describe('in a spawned process', () => {
    const config = testConfig('mysql');
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cmiyc-config-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('an app given a bad value exits non-zero printing only that one line', async () => {
      const child = spawnApp('query-service', envFor(config, { CACHE_PORT: 'abc' }));
      expect(await exitOf(child, 20_000)).toBe(1);
      expect(child.stderr().trim()).toBe(
        'Configuration error: Invalid CACHE_PORT="abc": expected a port number from 1 to 65535',
      );
    });

    it('the gateway does the same', async () => {
      const child = spawnApp('gateway', envFor(config, { DB_ENGINE: 'oracle' }));
      expect(await exitOf(child, 20_000)).toBe(1);
      expect(child.stderr().trim()).toBe(
        'Configuration error: Invalid DB_ENGINE="oracle": expected one of mysql, mariadb, postgres, postgresql',
      );
    });

    // A tiny script that prints what loadConfig() sees, run in `dir` (where the .env file is).
    const printConfig = (env: NodeJS.ProcessEnv) =>
      spawnNode(
        '-e',
        [
          `const { loadConfig } = require(${JSON.stringify(distPath('libs/platform/src/config/config.js'))});` +
            'const c = loadConfig(); console.log(JSON.stringify({ port: c.cache.port, db: c.db.name }));',
        ],
        env,
        dir,
      );

    it('reads .env from the working directory; the real environment wins over it', async () => {
      writeFileSync(join(dir, '.env'), '# local settings\nCACHE_PORT=6390\nDB_NAME=from_dotenv\n');
      const fromFile = printConfig({ PATH: process.env.PATH });
      expect(await exitOf(fromFile, 10_000)).toBe(0);
      expect(JSON.parse(fromFile.output())).toEqual({ port: 6390, db: 'from_dotenv' });

      const overridden = printConfig({ PATH: process.env.PATH, DB_NAME: 'from_env' });
      expect(await exitOf(overridden, 10_000)).toBe(0);
      expect(JSON.parse(overridden.output())).toEqual({ port: 6390, db: 'from_env' });
    });

    it('a bad value in .env stops an app with the same one line', async () => {
      writeFileSync(join(dir, '.env'), 'CACHE_TLS=maybe\n');
      const env = envFor(config);
      delete env.CACHE_TLS;
      const child = spawnNode(distPath('apps/writer-service/src/main.js'), [], env, dir);
      expect(await exitOf(child, 20_000)).toBe(1);
      expect(child.stderr().trim()).toBe(
        'Configuration error: Invalid CACHE_TLS="maybe": expected true or false',
      );
    });
  });
});
