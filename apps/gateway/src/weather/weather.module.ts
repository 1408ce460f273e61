import { Module } from '@nestjs/common';
import { AdminAccessModule } from '../admin/admin-access.module';
import { WeatherClient } from './weather-client';
import { WeatherController } from './weather.controller';

/** GET /api/weather/:country/:zip, GET /api/weather/cities, DELETE /api/weather/:country/:zip (admin). */
@Module({
  imports: [AdminAccessModule],
  controllers: [WeatherController],
  providers: [WeatherClient],
})
export class WeatherGatewayModule {}
