import { PrivateServer, ServerCommand, startPrivateServer } from './private-server';

export { freePort, waitForPort } from './private-server';

const REDIS: ServerCommand = {
  program: 'redis-server',
  // Nothing kept on disk: a restarted server is empty.
  args: (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  install: 'apt-get install redis-server',
};

/** A Redis server of the test's own (for "the cache goes away and comes back" tests): see PrivateServer. */
export type TestRedisServer = PrivateServer;
export const TestRedisServer = { start: () => startPrivateServer(REDIS) };

/** Deletes every key under a prefix (benchmarks and tests clean up after themselves). Returns how many. */
export async function deleteKeysWithPrefix(
  client: import('iovalkey').default,
  prefix: string,
  /** On a cluster node: keys of one batch may be in different slots, so one UNLINK each. */
  oneByOne = false,
): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      5000,
    );
    cursor = next;
    if (keys.length && !oneByOne) deleted += await client.unlink(...keys);
    if (oneByOne) for (const k of keys) deleted += await client.unlink(k);
  } while (cursor !== '0');
  return deleted;
}
