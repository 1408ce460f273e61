import { CachePrimitives, createCachePrimitives } from '@app/cache';
import { TestRedisServer } from './redis-server';
import { testConfig } from './test-env';

/** Cache primitives on a Valkey of the suite's own (a test may stop, slow down or count it). */
export interface PrivateCache {
  server: TestRedisServer;
  p: CachePrimitives;
  /** Closes the primitives, then stops the server. */
  close(): Promise<void>;
}

/** Cache primitives (configured by `overrides`, as environment variables) on a server of their own. */
export function cacheOn(
  server: TestRedisServer,
  overrides: NodeJS.ProcessEnv = {},
): Promise<CachePrimitives> {
  return createCachePrimitives(testConfig('mysql', { CACHE_PORT: String(server.port), ...overrides }));
}

/** Starts a private Valkey and creates cache primitives (configured by `overrides`) on it. */
export async function privateCache(overrides: NodeJS.ProcessEnv = {}): Promise<PrivateCache> {
  const server = await TestRedisServer.start();
  try {
    const p = await cacheOn(server, overrides);
    return {
      server,
      p,
      close: async () => {
        await p.close();
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
