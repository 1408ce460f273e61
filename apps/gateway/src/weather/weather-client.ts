import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { OperationClient, SERVICES, WEATHER } from '@app/contracts';

/**
 * The weather-service's calls: `weather.send('current', { country, zip })` resolves to its WeatherResult. The admin
 * call (evict) carries INTERNAL_TOKEN: its route checks the admin's credentials first.
 */
@Injectable()
export class WeatherClient extends OperationClient<typeof WEATHER> {
  constructor(@Inject(SERVICES.weather) proxy: ClientProxy, @Inject(APP_CONFIG) config: AppConfig) {
    super(proxy, 'weather-service', WEATHER, config.internalToken);
  }
}
