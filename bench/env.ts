import { AppConfig } from '@app/platform';
import { storageEnv } from '../test/support/test-env';

/** The environment that makes a dist/ process (gateway, query-service) use this configuration. */
export function configEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    ...storageEnv(config),
    DB_POOL_SIZE: String(config.db.poolSize),
    CACHE_BREAKER_COOLDOWN_MS: String(config.cache.breakerCooldownMs),
    CACHE_COMMAND_TIMEOUT_MS: String(config.cache.commandTimeoutMs),
    QUERY_SERVICE_HOST: config.queryService.host,
    QUERY_SERVICE_PORT: String(config.queryService.port),
    GATEWAY_HOST: config.gateway.host,
    GATEWAY_PORT: String(config.gateway.port),
    ADMIN_USER: config.admin.user,
    ADMIN_PASSWORD: config.admin.password,
    INTERNAL_TOKEN: config.internalToken,
    LOG_LEVEL: config.logLevel,
    // Several instances of one service may run side by side: no Prometheus endpoints (9301... would clash).
    QUERY_SERVICE_METRICS_PORT: '0',
    WRITER_SERVICE_METRICS_PORT: '0',
    WEATHER_SERVICE_METRICS_PORT: '0',
    CACHE_WARMER_METRICS_PORT: '0',
  };
}
