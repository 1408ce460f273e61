import { AppConfig } from '@app/platform';
import { CachePrimitives, createCachePrimitives } from '@app/cache';
import {
  ProviderOptions,
  startWeatherProvider,
  WeatherProviderHandle,
} from '../../../apps/weather-service/src/provider/weather-provider.server';
import { createWeatherService, WeatherService } from '../../../apps/weather-service/src/weather.service';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A provider of the test's own on an ephemeral port, with a short delay. */
export function startTestProvider(overrides: Partial<ProviderOptions> = {}) {
  return startWeatherProvider({
    port: 0,
    minDelayMs: 20,
    maxDelayMs: 40,
    errorRate: 0,
    timeoutRate: 0,
    ...overrides,
  });
}

/**
 * Settings every weather suite uses: its provider, and an upstream timeout a busy machine cannot reach by accident
 * (a slow reply is not a dead provider). A test of the timeout itself asks for SHORT_UPSTREAM_TIMEOUT with a provider
 * that never answers, so the outcome does not depend on the machine's speed.
 */
export function weatherEnv(
  provider: WeatherProviderHandle,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    WEATHER_PROVIDER_HOST: '127.0.0.1',
    WEATHER_PROVIDER_PORT: String(provider.port),
    WEATHER_UPSTREAM_TIMEOUT_MS: '10000',
    WEATHER_LOCK_TTL_MS: '20000',
    ...extra,
  };
}

/** For tests of the upstream timeout, with a provider set to never answer. */
export const SHORT_UPSTREAM_TIMEOUT = { WEATHER_UPSTREAM_TIMEOUT_MS: '500', WEATHER_LOCK_TTL_MS: '3000' };

/**
 * A weather-service "process" without Nest or database: its own Valkey connections (lock, pub/sub subscriber)
 * and its own WeatherService. Several of them behave like separate processes sharing one Valkey.
 */
export interface WeatherNode {
  service: WeatherService;
  primitives: CachePrimitives;
  close(): Promise<void>;
}

export async function startWeatherNode(
  config: AppConfig,
  options: { coalesce?: boolean } = {},
): Promise<WeatherNode> {
  const p = await createCachePrimitives({
    ...config,
    cache: { ...config.cache, coalesce: options.coalesce ?? config.cache.coalesce },
  });
  return { service: createWeatherService(config, p), primitives: p, close: () => p.close() };
}
