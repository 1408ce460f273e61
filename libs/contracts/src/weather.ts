/**
 * Every call of the weather-service, by name (WEATHER.current...): message pattern, payload, reply and statistics
 * class, with the request classes the gateway validates. The weather data itself has the shape of
 * OpenWeatherMap's "current weather" answer.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { CacheResult, LockRole, WakeUp } from '@app/cache';
import { operation, RequestClass, requestOf, typed } from './operation';
import { OptionalFlag, ToInt } from './request-fields';

/** ISO 3166-1 alpha-2 country code. */
export const WEATHER_COUNTRY_PATTERN = /^[A-Za-z]{2}$/;
/** Postal codes as the world writes them: letters, digits and inner hyphens ("10115", "100-0001", "EC1A"). */
export const WEATHER_ZIP_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/;
/** Bounds of a per-request lock TTL; under a second the original demo silently broke. */
export const WEATHER_LOCK_TTL_BOUNDS = { min: 1000, max: 600_000 } as const;

export class WeatherCityParams {
  @ApiProperty({ example: 'DE', description: 'ISO 3166-1 alpha-2 country code (any case)' })
  @IsString()
  @Matches(WEATHER_COUNTRY_PATTERN, {
    message: 'country must be a two-letter ISO 3166 country code such as DE',
  })
  country: string;

  @ApiProperty({
    example: '10115',
    description: 'Postal code as the provider knows it (see GET /api/weather/cities)',
  })
  @IsString()
  @Matches(WEATHER_ZIP_PATTERN, {
    message: 'zip must be a postal code of 1 to 10 letters, digits and inner hyphens',
  })
  zip: string;
}

/** The payload of a call that takes nothing: `{}` (any field is refused). */
export class NoPayload {}

export class WeatherQuery {
  @OptionalFlag(
    'Force a miss: call the provider and overwrite the cached entry',
    'refresh must be true or false',
  )
  refresh?: boolean;

  @OptionalFlag(
    'false bypasses the cache entirely (no read, no write): the "no cache" baseline of demo:weather',
    'cache must be true or false',
  )
  cache?: boolean;

  @ApiPropertyOptional({
    description:
      'Stampede lock TTL for this request in ms (default WEATHER_LOCK_TTL_MS); demo:stampede --lock-ttl',
    minimum: WEATHER_LOCK_TTL_BOUNDS.min,
    maximum: WEATHER_LOCK_TTL_BOUNDS.max,
  })
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'lockTtlMs must be a whole number of milliseconds' })
  @Min(WEATHER_LOCK_TTL_BOUNDS.min, {
    message: `lockTtlMs must be at least ${WEATHER_LOCK_TTL_BOUNDS.min} ms`,
  })
  @Max(WEATHER_LOCK_TTL_BOUNDS.max, {
    message: `lockTtlMs must be at most ${WEATHER_LOCK_TTL_BOUNDS.max} ms`,
  })
  lockTtlMs?: number;
}

export interface WeatherCity {
  country: string;
  zip: string;
  name: string;
}

/** The stampede engine's account of a request (see LoadTrace in @app/cache): the weather meta shows it. */
export type WeatherLockRole = LockRole;
export type WeatherWakeUp = WakeUp;

export interface WeatherMeta {
  lock: WeatherLockRole;
  /** Time spent waiting for another request's provider call (0 when none). */
  lockWaitMs: number;
  wokenBy?: WeatherWakeUp;
  /** Duration of the provider call this request made (only when it made one). */
  upstreamMs?: number;
  /** When the provider produced the value served (ISO time). */
  fetchedAt?: string;
  /** How long a value stays fresh (WEATHER_CACHE_TTL) and how much of that is left for this one. */
  ttlSeconds?: number;
  expiresInSeconds?: number;
  /** Served past its freshness because the provider failed; `staleReason` says how. */
  stale?: boolean;
  staleReason?: string;
  /** This hit was close to expiry and started a background refresh. */
  earlyRefresh?: boolean;
  /** The cache could not be used (down or breaker open): the provider was called directly. */
  cacheUnavailable?: boolean;
}

/** The weather-service's answer: the cached read plus the lock's account of it (the gateway's envelope meta). */
export interface WeatherResult extends CacheResult<CurrentWeather> {
  weather: WeatherMeta;
}

/** OpenWeatherMap "current weather" (metric units), as the mock provider answers it. */
export interface CurrentWeather {
  coord: { lon: number; lat: number };
  weather: Array<{ id: number; main: string; description: string; icon: string }>;
  base: string;
  main: {
    temp: number;
    feels_like: number;
    temp_min: number;
    temp_max: number;
    pressure: number;
    humidity: number;
  };
  visibility: number;
  wind: { speed: number; deg: number };
  clouds: { all: number };
  dt: number;
  sys: { country: string; sunrise: number; sunset: number };
  timezone: number;
  id: number;
  name: string;
  cod: number;
}

export const WEATHER = {
  /** A city's current weather, cached with a stampede lock; the reply carries the lock's account (`weather`). */
  current: operation({
    pattern: { cmd: 'weather.current' },
    payload: typed<WeatherCityParams & WeatherQuery>(),
    request: requestOf(WeatherCityParams, WeatherQuery),
    reply: typed<WeatherResult>(),
    queryClass: 'weather',
  }),

  /** The cities the provider knows. */
  cities: operation({
    pattern: { cmd: 'weather.cities' },
    payload: typed<Record<string, never>>(),
    request: NoPayload as RequestClass<Record<string, never>>,
    reply: typed<CacheResult<WeatherCity[]>>(),
    queryClass: 'weather',
  }),

  /** Removes a city's cached weather (admin: the message must carry INTERNAL_TOKEN). */
  evict: operation({
    pattern: { cmd: 'weather.evict' },
    payload: typed<WeatherCityParams>(),
    request: WeatherCityParams,
    admin: true,
    reply: typed<{ cacheKey: string; deleted: number }>(),
    queryClass: null,
  }),
};

export type WeatherCallName = keyof typeof WEATHER;
export type WeatherPayload<N extends WeatherCallName> = (typeof WEATHER)[N]['payload'];
