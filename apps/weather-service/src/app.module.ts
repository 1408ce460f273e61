import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/common';

@Module({})
export class WeatherServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WeatherServiceModule,
      imports: [CoreModule.forRoot(config, 'weather-service')],
    };
  }
}
