import { createServer, Server } from 'node:net';
import { TEST_ENGINES, testConfig } from '../../support/test-env';
import {
  checkDatabase,
  checkNats,
  checkPorts,
  checkValkey,
  describeDatabase,
} from '../../../tools/startup/preflight';
import { closedPort, configWithFreePorts, distPath, envFor, exitOf, spawnNode } from './support';

/** `npm start` refuses to start anything, at once and saying why, when a dependency is missing. */
describe('preflight', () => {
  it('Valkey answering: no failure', async () => {
    expect(await checkValkey(testConfig('mysql').cache, 'cache')).toBeNull();
  });

  it('Valkey not reachable: names it, where, and how to start one', async () => {
    const port = await closedPort();
    const failure = await checkValkey({ host: '127.0.0.1', port, tls: false }, 'cache');
    expect(failure?.what).toBe('Valkey (cache)');
    expect(failure?.message).toContain(
      `Cannot reach Valkey (cache) at 127.0.0.1:${port}: connect ECONNREFUSED`,
    );
    expect(failure?.message).toContain('docker compose up -d valkey-cache');
    expect(failure?.message).toContain('redis-server --daemonize yes');
  });

  it('the queue server is named as such', async () => {
    const port = await closedPort();
    const failure = await checkValkey({ host: '127.0.0.1', port, tls: false }, 'queues');
    expect(failure?.message).toContain(`Cannot reach Valkey (queues) at 127.0.0.1:${port}`);
    expect(failure?.message).toContain('QUEUE_HOST / QUEUE_PORT');
  });

  it('a cluster that cannot be reached is named by its nodes', async () => {
    const port = await closedPort();
    const endpoint = {
      host: 'localhost',
      port: 6379,
      tls: false,
      clusterNodes: [{ host: '127.0.0.1', port }],
    };
    const failure = await checkValkey(endpoint, 'cache', 1000);
    expect(failure?.what).toBe('Valkey (cache)');
    expect(failure?.message).toContain(`Cannot reach Valkey (cache) at the cluster of 127.0.0.1:${port}`);
  });

  it('NATS (SERVICE_TRANSPORT=nats): answering is no failure; not reachable names it and NATS_URL', async () => {
    expect(await checkNats([process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'])).toBeNull();
    const port = await closedPort();
    const failure = await checkNats([`nats://127.0.0.1:${port}`], 1000);
    expect(failure?.what).toBe('NATS');
    expect(failure?.message).toContain(`Cannot reach NATS at nats://127.0.0.1:${port}`);
    expect(failure?.message).toContain('NATS_URL');
  });

  it('a port an app needs is taken: names the variable and the app', async () => {
    const config = await configWithFreePorts('mysql');
    const squatter: Server = createServer();
    await new Promise<void>((ok) => squatter.listen(config.writerService.port, '0.0.0.0', ok));
    try {
      const failures = await checkPorts(config);
      expect(failures.map((f) => f.what)).toEqual([`port ${config.writerService.port}`]);
      expect(failures[0].message).toContain('WRITER_SERVICE_PORT, for writer-service) is already in use');
    } finally {
      await new Promise((ok) => squatter.close(ok));
    }
    expect(await checkPorts(config)).toEqual([]);
  });

  it('two apps given the same port: names both variables', async () => {
    const config = await configWithFreePorts('mysql');
    const clash = {
      ...config,
      weather: { ...config.weather, provider: { ...config.weather.provider, port: config.cacheWarmer.port } },
    };
    const failures = await checkPorts(clash);
    expect(failures.map((f) => f.message)).toEqual([
      `CACHE_WARMER_PORT, WEATHER_PROVIDER_PORT share port ${config.cacheWarmer.port}; every app needs a port of its own.`,
    ]);
  });

  describe.each(TEST_ENGINES)('database on %s', (engine) => {
    const hint =
      engine === 'postgres'
        ? 'docker compose --profile postgres up -d postgres'
        : 'docker compose up -d mariadb';

    it('answering: no failure', async () => {
      expect(await checkDatabase(testConfig(engine).db)).toBeNull();
    });

    it('not reachable: names it, where, and how to start one', async () => {
      const port = await closedPort();
      const db = testConfig(engine, { DB_PORT: String(port) }).db;
      const failure = await checkDatabase(db);
      expect(failure?.what).toBe('the database');
      expect(failure?.message).toContain(`Cannot reach the database at ${describeDatabase(db)}: `);
      expect(failure?.message).toContain(`${db.host}:${port}`);
      expect(failure?.message).toContain(hint);
    });

    it('refusing the user: says so instead of "cannot reach"', async () => {
      const db = testConfig(engine, { DB_USER: 'cmiyc_no_such_user', DB_PASSWORD: 'wrong' }).db;
      const failure = await checkDatabase(db);
      expect(failure?.message).toContain(`refused user "cmiyc_no_such_user"`);
      expect(failure?.message).toContain('Set DB_USER / DB_PASSWORD');
    });

    it('`npm start` with the database down exits 1 before starting any app', async () => {
      const port = await closedPort();
      const config = await configWithFreePorts(engine);
      const child = spawnNode(distPath('scripts/start.js'), [], envFor(config, { DB_PORT: String(port) }));
      expect(await exitOf(child, 15_000)).toBe(1);
      expect(child.stderr()).toContain(
        `Cannot reach the database at ${describeDatabase({ ...config.db, port })}`,
      );
      expect(child.stderr()).toContain('npm start stopped before starting any app: the database not ready');
      expect(child.output()).not.toContain('starting query-service');
    });
  });

  it('`npm start` with Valkey down exits 1 naming Valkey and where', async () => {
    const port = await closedPort();
    const config = await configWithFreePorts('mysql');
    const child = spawnNode(distPath('scripts/start.js'), [], envFor(config, { CACHE_PORT: String(port) }));
    expect(await exitOf(child, 15_000)).toBe(1);
    expect(child.stderr()).toContain(
      `Cannot reach Valkey (cache) at 127.0.0.1:${port}: connect ECONNREFUSED`,
    );
    expect(child.stderr()).toContain('npm start stopped before starting any app: Valkey (cache) not ready');
  });

  it('`npm start` with a bad setting exits 1 with the one configuration line', async () => {
    const config = await configWithFreePorts('mysql');
    const child = spawnNode(distPath('scripts/start.js'), [], envFor(config, { DB_ENGINE: 'oracle' }));
    expect(await exitOf(child, 15_000)).toBe(1);
    expect(child.stderr().trim()).toBe(
      'Configuration error: Invalid DB_ENGINE="oracle": expected one of mysql, mariadb, postgres, postgresql',
    );
  });
});
