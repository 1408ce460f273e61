import { Controller, Delete, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { WeatherCityParams, WeatherQuery, toEnvelope } from '@app/contracts';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { WeatherClient } from './weather-client';

/** Current weather from a slow external API, cached with a stampede lock (weather-service). */
@ApiTags('weather')
@Controller('api/weather')
export class WeatherController {
  constructor(
    private readonly weather: WeatherClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('cities')
  @ApiOperation({ summary: 'The cities the weather provider knows (country code, zip, name)' })
  async cities() {
    return toEnvelope(await this.weather.send('cities', {}));
  }

  @Get(':country/:zip')
  @ApiOperation({
    summary: 'Current weather of a city',
    description:
      'meta.source is cache or upstream; meta.lock tells whether this request took the stampede lock, waited for ' +
      'the request that did, or hit a fresh value; meta.stale is true when the provider failed and the last value ' +
      'was served. 404 unknown city, 502 provider error / 504 provider timeout with nothing cached to serve.',
  })
  async current(@Param() city: WeatherCityParams, @Query() query: WeatherQuery) {
    const { weather, ...result } = await this.weather.send(
      'current',
      { ...city, ...query },
      this.answerTimeoutMs(query.lockTtlMs),
    );
    return toEnvelope(result, { ...weather });
  }

  @Delete(':country/:zip')
  @UseGuards(AdminAuthGuard)
  @ApiBasicAuth()
  @ApiOperation({
    summary:
      "Remove a city's cached weather, so the next read calls the provider (admin credentials required)",
  })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin credentials' })
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed admin logins from this client (ADMIN_LOGIN_MAX_FAILURES); Retry-After says when to retry',
  })
  async evict(@Param() city: WeatherCityParams) {
    return { data: await this.weather.send('evict', city) };
  }

  /** Longer than the service's own bound on a request (two lock lifetimes plus a provider call). */
  private answerTimeoutMs(lockTtlMs = this.config.weather.lockTtlMs): number {
    return 2 * lockTtlMs + this.config.weather.upstreamTimeoutMs + 2000;
  }
}
