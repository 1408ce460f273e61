import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Handles, WEATHER, WeatherPayload } from '@app/contracts';
import { WeatherService } from './weather.service';

@Controller()
export class WeatherController {
  constructor(private readonly weather: WeatherService) {}

  @Handles(WEATHER.current)
  current(@Payload() p: WeatherPayload<'current'>) {
    return this.weather.current(p);
  }

  @Handles(WEATHER.cities)
  cities() {
    return this.weather.cities();
  }

  @Handles(WEATHER.evict)
  evict(@Payload() p: WeatherPayload<'evict'>) {
    return this.weather.evict(p.country, p.zip);
  }
}
