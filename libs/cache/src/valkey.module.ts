import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@app/platform/config';
import { AppConfig } from '@app/platform/config';
import { backstopTimeoutMs, createValkeyClient, ValkeyClient } from './valkey-client';

/** Cache connection: fails fast (no offline queue, short command timeout) so a dead cache costs little. */
export const CACHE_CLIENT = Symbol('CACHE_CLIENT');
/** Queue/stream connection: waits and retries, because losing a write is worse than waiting for one. */
export const QUEUE_CLIENT = Symbol('QUEUE_CLIENT');

@Global()
@Module({
  providers: [
    {
      provide: CACHE_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        createValkeyClient(config.cache, {
          name: `cmiyc-${process.env.CMIYC_APP ?? 'app'}-cache`,
          // A backstop only: CacheGuard gives each command its own, shorter deadline.
          commandTimeoutMs: backstopTimeoutMs(config),
          offlineQueue: false,
          resendAfterReconnect: false,
          autoPipelining: true,
        }),
    },
    {
      provide: QUEUE_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        createValkeyClient(config.queue, {
          name: `cmiyc-${process.env.CMIYC_APP ?? 'app'}-queue`,
          maxRetriesPerRequest: null,
        }),
    },
  ],
  exports: [CACHE_CLIENT, QUEUE_CLIENT],
})
export class ValkeyModule implements OnApplicationShutdown {
  constructor(
    @Inject(CACHE_CLIENT) private readonly cache: ValkeyClient,
    @Inject(QUEUE_CLIENT) private readonly queue: ValkeyClient,
  ) {}

  onApplicationShutdown() {
    this.cache.disconnect();
    this.queue.disconnect();
  }
}
