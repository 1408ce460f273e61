import { AppConfig } from '@app/platform';
import { startWeatherProvider, WeatherProviderHandle } from './weather-provider.server';

/** Starts the mock provider with the WEATHER_PROVIDER_* settings. */
export function startProviderFromConfig(
  config: AppConfig,
  port = config.weather.provider.port,
): Promise<WeatherProviderHandle> {
  const w = config.weather;
  return startWeatherProvider({
    // Listen where the client is told to call; 0.0.0.0 when another host (a container) must reach it.
    host: ['127.0.0.1', 'localhost'].includes(w.provider.host) ? '127.0.0.1' : '0.0.0.0',
    port,
    minDelayMs: w.minDelayMs,
    maxDelayMs: w.maxDelayMs,
    errorRate: w.errorRate,
    timeoutRate: w.timeoutRate,
  });
}
