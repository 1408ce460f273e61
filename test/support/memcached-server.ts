import { Socket } from 'node:net';
import { PrivateServer, ServerCommand, startPrivateServer } from './private-server';

const MEMCACHED: ServerCommand = {
  program: 'memcached',
  // memcached refuses to run as root unless told which user to be.
  args: (port) => [
    ...['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '32'],
    ...(process.getuid?.() === 0 ? ['-u', 'root'] : []),
  ],
  install: 'apt-get install memcached',
};

/**
 * A memcached of the test's own, on a free port: suites do not share entries (memcached cannot delete by prefix,
 * so a shared one could not be cleaned up) and a test may stop it and start it again (see PrivateServer).
 */
export type TestMemcachedServer = PrivateServer;
export const TestMemcachedServer = { start: () => startPrivateServer(MEMCACHED) };

/** The settings that put a config's cache-aside entries in this memcached. */
export function memcachedEnv(server: TestMemcachedServer): NodeJS.ProcessEnv {
  return { CACHE_ENGINE: 'memcached', MEMCACHED_HOST: '127.0.0.1', MEMCACHED_PORT: String(server.port) };
}

/**
 * The seconds an item has left by memcached's own clock (meta get `mg <key> t`): -1 for no expiry, null when
 * the key is absent. A property of the stored item, not of how long a test waited.
 */
export function memcachedTtlSeconds(server: TestMemcachedServer, key: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const s = new Socket();
    let reply = '';
    s.once('error', reject);
    s.on('data', (d) => {
      reply += d.toString();
      if (!reply.endsWith('\r\n')) return;
      s.destroy();
      const t = /^HD.* t(-?\d+)/.exec(reply);
      if (t) resolve(Number(t[1]));
      else if (reply.startsWith('EN')) resolve(null);
      else reject(new Error(`unexpected reply to mg ${key} t: ${reply.trim()}`));
    });
    s.connect(server.port, '127.0.0.1', () => s.write(`mg ${key} t\r\n`));
  });
}
