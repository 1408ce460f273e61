import { Global, Inject, Injectable, Module, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform/config';
import { NearCache } from './near-cache';
import { CACHE_CLIENT } from './valkey.module';
import type { ValkeyClient } from './valkey-client';
import { CacheGuard } from './cache-guard';
import { CacheService } from './cache.service';
import { FillNotifier } from './fill-notifier';
import { DistributedLock } from './distributed-lock';
import { CacheStatsService } from './cache-stats.service';
import { MemcachedEntries } from './memcached/memcached-entries';

/** The near cache of this process, started and stopped with it (on the cache connection). */
@Injectable()
export class NearCacheLifecycle implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly near: NearCache) {}
  onModuleInit() {
    this.near.start();
  }
  async onModuleDestroy() {
    await this.near.stop();
  }
}

/** The memcached engine of cache-aside JSON entries when CACHE_ENGINE=memcached; null otherwise. */
@Injectable()
export class MemcachedLifecycle implements OnModuleDestroy {
  constructor(@Optional() @Inject(MemcachedEntries) private readonly memcached?: MemcachedEntries | null) {}
  onModuleDestroy() {
    this.memcached?.close();
  }
}

const memcachedProvider = {
  provide: MemcachedEntries,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) =>
    config.cache.engine === 'memcached' ? MemcachedEntries.create(config) : null,
};

const nearCacheProvider = {
  provide: NearCache,
  inject: [CACHE_CLIENT, APP_CONFIG],
  useFactory: (client: ValkeyClient, config: AppConfig) => new NearCache(client, config.cache.near),
};

/** The cache primitives every service uses (needs AppConfigModule and ValkeyModule, provided by CoreModule). */
@Global()
@Module({
  providers: [
    CacheGuard,
    DistributedLock,
    FillNotifier,
    CacheStatsService,
    nearCacheProvider,
    NearCacheLifecycle,
    memcachedProvider,
    MemcachedLifecycle,
    CacheService,
  ],
  exports: [
    CacheGuard,
    DistributedLock,
    FillNotifier,
    CacheStatsService,
    NearCache,
    MemcachedEntries,
    CacheService,
  ],
})
export class CachePrimitivesModule {}

export interface CachePrimitives {
  client: import('./valkey-client').ValkeyClient;
  guard: CacheGuard;
  lock: DistributedLock;
  fill: FillNotifier;
  stats: CacheStatsService;
  near: NearCache;
  /** The memcached engine when CACHE_ENGINE=memcached. */
  memcached: MemcachedEntries | null;
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
  const near = new NearCache(client, config.cache.near);
  const memcached = config.cache.engine === 'memcached' ? MemcachedEntries.create(config) : null;
  const cache = new CacheService(config, guard, lock, fill, stats, near, memcached);
  fill.onModuleInit();
  near.start();
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
  await near.ready();
  return {
    client,
    guard,
    lock,
    fill,
    stats,
    near,
    memcached,
    cache,
    async close() {
      memcached?.close();
      await near.stop();
      await stats.onModuleDestroy();
      await fill.onModuleDestroy();
      guard.close();
      client.disconnect();
    },
  };
}
