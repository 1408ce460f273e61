import { AppConfig } from '@app/platform';
import { startWeatherProvider, WeatherProviderHandle } from './weather-provider.server';

/** Starts the mock provider with the WEATHER_PROVIDER_* settings. */
export function startProviderFromConfig(
  config: AppConfig,
  port = config.weather.provider.port,
): Promise<WeatherProviderHandle> {
  const w = config.weather;
  return startWeatherProvider({
    // Listen where the client is told to call, and nowhere else (its /admin routes inject faults): loopback by
    // default; another address only when WEATHER_PROVIDER_HOST names one.
    host: w.provider.host === 'localhost' ? '127.0.0.1' : w.provider.host,
    port,
    minDelayMs: w.minDelayMs,
    maxDelayMs: w.maxDelayMs,
    errorRate: w.errorRate,
    timeoutRate: w.timeoutRate,
  });
}
