import { AppConfig } from '@app/common';

/** The environment that makes a dist/ process (gateway, query-service) use this configuration. */
export function configEnv(config: AppConfig): NodeJS.ProcessEnv {
  return {
    DB_ENGINE: config.db.flavor,
    DB_HOST: config.db.host,
    DB_PORT: String(config.db.port),
    DB_USER: config.db.user,
    DB_PASSWORD: config.db.password,
    DB_NAME: config.db.name,
    DB_POOL_SIZE: String(config.db.poolSize),
    CACHE_HOST: config.cache.host,
    CACHE_PORT: String(config.cache.port),
    CACHE_KEY_PREFIX: config.cache.keyPrefix,
    CACHE_BREAKER_COOLDOWN_MS: String(config.cache.breakerCooldownMs),
    CACHE_COMMAND_TIMEOUT_MS: String(config.cache.commandTimeoutMs),
    QUERY_SERVICE_HOST: config.queryService.host,
    QUERY_SERVICE_PORT: String(config.queryService.port),
    GATEWAY_HOST: config.gateway.host,
    GATEWAY_PORT: String(config.gateway.port),
    ADMIN_USER: config.admin.user,
    ADMIN_PASSWORD: config.admin.password,
    LOG_LEVEL: config.logLevel,
  };
}
