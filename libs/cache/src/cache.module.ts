import { Global, Module } from '@nestjs/common';
import { CacheGuard } from './cache-guard';
import { CacheService } from './cache.service';
import { FillNotifier } from './fill-notifier';
import { DistributedLock } from './lock';
import { CacheStatsService } from './stats.service';

/** The cache primitives every service uses (needs AppConfigModule and ValkeyModule, provided by CoreModule). */
@Global()
@Module({
  providers: [CacheGuard, DistributedLock, FillNotifier, CacheStatsService, CacheService],
  exports: [CacheGuard, DistributedLock, FillNotifier, CacheStatsService, CacheService],
})
export class CachePrimitivesModule {}

export interface CachePrimitives {
  client: import('./valkey-client').ValkeyClient;
  guard: CacheGuard;
  lock: DistributedLock;
  fill: FillNotifier;
  stats: CacheStatsService;
  cache: CacheService;
  /** Stops timers and closes both connections. */
  close(): Promise<void>;
}

/**
 * The same primitives without Nest, for scripts, benchmarks and tests that need several independent
 * "processes" (each call opens its own connections).
 */
export async function createCachePrimitives(
  config: import('@app/platform/config').AppConfig,
): Promise<CachePrimitives> {
  const { createValkeyClient, backstopTimeoutMs } = await import('./valkey-client');
  const client = createValkeyClient(config.cache, {
    // A backstop only: CacheGuard gives each command its own, shorter deadline.
    commandTimeoutMs: backstopTimeoutMs(config),
    offlineQueue: false,
    resendAfterReconnect: false,
  });
  const guard = new CacheGuard(client, config);
  const lock = new DistributedLock(guard);
  const fill = new FillNotifier(guard);
  const stats = new CacheStatsService(guard);
  const cache = new CacheService(config, guard, lock, fill, stats);
  fill.onModuleInit();
  stats.onModuleInit();
  await new Promise<void>((resolve) => {
    if (client.status === 'ready') return resolve();
    const t = setTimeout(resolve, 2000);
    client.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
  await fill.ready();
  return {
    client,
    guard,
    lock,
    fill,
    stats,
    cache,
    async close() {
      await stats.onModuleDestroy();
      await fill.onModuleDestroy();
      client.disconnect();
    },
  };
}
