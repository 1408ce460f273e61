import { Module } from '@nestjs/common';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { WeatherClient } from './weather-client';
import { WeatherController } from './weather.controller';

/** GET /api/weather/:country/:zip, GET /api/weather/cities, DELETE /api/weather/:country/:zip (admin). */
@Module({ controllers: [WeatherController], providers: [WeatherClient, AdminAuthGuard] })
export class WeatherGatewayModule {}
