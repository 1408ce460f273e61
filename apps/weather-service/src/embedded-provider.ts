import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { startProviderFromConfig } from './provider/provider.config';
import { WeatherProviderHandle } from './provider/weather-provider.server';

/**
 * Runs the mock provider inside the weather-service process, on its own HTTP port, so `npm start` needs nothing
 * else. A second weather-service on the same machine finds the port taken and uses the provider already there.
 */
@Injectable()
export class EmbeddedWeatherProvider implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('weather-provider');
  private handle?: WeatherProviderHandle;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit() {
    try {
      this.handle = await startProviderFromConfig(this.config);
      this.logger.log(`mock weather provider on ${this.handle.url}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      this.logger.warn(
        `port ${this.config.weather.provider.port} is taken: using the provider already listening there`,
      );
    }
  }

  async onApplicationShutdown() {
    await this.handle?.close();
  }
}
