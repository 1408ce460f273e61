import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { WEATHER_COUNTRY_PATTERN, WEATHER_LOCK_TTL_BOUNDS, WEATHER_ZIP_PATTERN } from '@app/contracts';

/** Query values arrive as strings: "true"/"false" and digits are converted, anything else is left for the checks. */
const toBool = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));
const toInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value));

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

export class WeatherQuery {
  @ApiPropertyOptional({ description: 'Force a miss: call the provider and overwrite the cached entry' })
  @IsOptional()
  @toBool()
  @IsBoolean({ message: 'refresh must be true or false' })
  refresh?: boolean;

  @ApiPropertyOptional({
    description:
      'false bypasses the cache entirely (no read, no write): the "no cache" baseline of demo:weather',
  })
  @IsOptional()
  @toBool()
  @IsBoolean({ message: 'cache must be true or false' })
  cache?: boolean;

  @ApiPropertyOptional({
    description:
      'Stampede lock TTL for this request in ms (default WEATHER_LOCK_TTL_MS); demo:stampede --lock-ttl',
    minimum: WEATHER_LOCK_TTL_BOUNDS.min,
    maximum: WEATHER_LOCK_TTL_BOUNDS.max,
  })
  @IsOptional()
  @toInt()
  @IsInt({ message: 'lockTtlMs must be a whole number of milliseconds' })
  @Min(WEATHER_LOCK_TTL_BOUNDS.min, {
    message: `lockTtlMs must be at least ${WEATHER_LOCK_TTL_BOUNDS.min} ms`,
  })
  @Max(WEATHER_LOCK_TTL_BOUNDS.max, {
    message: `lockTtlMs must be at most ${WEATHER_LOCK_TTL_BOUNDS.max} ms`,
  })
  lockTtlMs?: number;
}
