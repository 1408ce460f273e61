import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { OperationClient, SERVICES, WEATHER } from '@app/contracts';

/** The weather-service's calls: `weather.send('current', { country, zip })` resolves to its WeatherResult. */
@Injectable()
export class WeatherClient extends OperationClient<typeof WEATHER> {
  constructor(@Inject(SERVICES.weather) proxy: ClientProxy) {
    super(proxy, 'weather-service', WEATHER);
  }
}
