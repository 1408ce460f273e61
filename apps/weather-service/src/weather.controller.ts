import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { WEATHER_PATTERNS, WeatherCityRequest, WeatherRequest } from '@app/contracts';
import { WeatherService } from './weather.service';

@Controller()
export class WeatherController {
  constructor(private readonly weather: WeatherService) {}

  @MessagePattern(WEATHER_PATTERNS.current)
  current(@Payload() req: WeatherRequest) {
    return this.weather.current(req);
  }

  @MessagePattern(WEATHER_PATTERNS.cities)
  cities() {
    return this.weather.cities();
  }

  @MessagePattern(WEATHER_PATTERNS.evict)
  evict(@Payload() req: WeatherCityRequest) {
    return this.weather.evict(req.country, req.zip);
  }
}
