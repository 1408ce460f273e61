import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/platform';
import { EmbeddedWeatherProvider } from './embedded-provider';
import { WeatherController } from './weather.controller';
import { WeatherProviderClient } from './weather-provider.client';
import { WeatherService } from './weather.service';

export interface WeatherServiceOptions {
  /** Start the mock provider in this process (main.ts); tests start one provider of their own instead. */
  embeddedProvider?: boolean;
}

@Module({})
export class WeatherServiceModule {
  static forRoot(config: AppConfig, options: WeatherServiceOptions = {}): DynamicModule {
    return {
      module: WeatherServiceModule,
      imports: [CoreModule.forRoot(config, { name: 'weather-service', database: true, serviceHealth: true })],
      controllers: [WeatherController],
      providers: [
        WeatherProviderClient,
        WeatherService,
        ...(options.embeddedProvider ? [EmbeddedWeatherProvider] : []),
      ],
    };
  }
}
