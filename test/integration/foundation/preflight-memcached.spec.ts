import { testConfig } from '../../support/test-env';
import { memcachedEnv, TestMemcachedServer } from '../../support/memcached-server';
import { checkDependencies, checkMemcached, describeCacheEngine } from '../../../tools/startup/preflight';
import { closedPort } from './support';

/** With CACHE_ENGINE=memcached, `npm start` checks memcached too and says in one line what lives where. */
describe('preflight with CACHE_ENGINE=memcached', () => {
  let server: TestMemcachedServer;

  beforeAll(async () => {
    server = await TestMemcachedServer.start();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('memcached answering: no failure', async () => {
    expect(await checkMemcached({ host: '127.0.0.1', port: server.port })).toBeNull();
    const config = testConfig('mysql', memcachedEnv(server));
    expect(await checkDependencies(config)).toEqual([]);
  });

  it('memcached not reachable: names it, where, and how to start one; only when it is the engine', async () => {
    const port = await closedPort();
    const config = testConfig('mysql', { CACHE_ENGINE: 'memcached', MEMCACHED_PORT: String(port) });
    const failures = await checkDependencies(config);
    expect(failures.map((f) => f.what)).toEqual(['memcached']);
    expect(failures[0].message).toContain(
      `Cannot reach memcached at localhost:${port} (CACHE_ENGINE=memcached)`,
    );
    expect(failures[0].message).toContain(`memcached -d -l 127.0.0.1 -p ${port}`);
    expect(failures[0].message).toContain('MEMCACHED_HOST / MEMCACHED_PORT');
    // Valkey as the engine: memcached is not asked about.
    expect(await checkDependencies(testConfig('mysql', { MEMCACHED_PORT: String(port) }))).toEqual([]);
  });

  it('the start-up line says where the entries are and what stays on Valkey', () => {
    const config = testConfig('mysql', {
      CACHE_ENGINE: 'memcached',
      MEMCACHED_HOST: 'mc.example',
      MEMCACHED_PORT: '11311',
      CACHE_HOST: 'vk.example',
      CACHE_PORT: '6380',
    });
    expect(describeCacheEngine(config)).toBe(
      'cache-aside entries are in memcached at mc.example:11311; queues, streams, seat maps, sessions and ' +
        'leaderboards stay on Valkey at vk.example:6380',
    );
    expect(describeCacheEngine(testConfig('mysql'))).toBeNull();
  });

  it('CACHE_ENGINE accepts memcached; anything else is refused naming the choices', () => {
    expect(testConfig('mysql', { CACHE_ENGINE: 'memcached' }).cache).toMatchObject({
      engine: 'memcached',
      memcached: { host: 'localhost', port: 11211 },
    });
    expect(() => testConfig('mysql', { CACHE_ENGINE: 'hazelcast' })).toThrow(
      'Invalid CACHE_ENGINE="hazelcast": expected one of valkey, redis, memcached',
    );
  });
});
