import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidationArguments,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import { EXPLAINABLE_QUERIES, ExplainableQuery } from '@app/contracts';

/**
 * Request DTOs of the read routes. Every rule answers 400 with a message naming the field; nothing that reaches
 * the query-service can be malformed. Path and query values arrive as strings and are converted here.
 */

const MAX_ID = 2_147_483_647;
const MAX_LIMIT = 100;
const IATA = /^[A-Z]{3}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "42" -> 42; anything else is left as is so that IsInt reports it. */
const toInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value));
const toBool = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/**
 * Several decorators as one, applied as if stacked above the property in this order (TypeScript applies stacked
 * decorators bottom-up; keeping that order keeps the order of the 400 messages).
 */
const stacked = (...decorators: PropertyDecorator[]) => applyDecorators(...decorators.reverse());

/** A path id: "42" -> 42; a whole number from 1 to MAX_ID. */
function PositiveId(example: number, description: string) {
  return stacked(
    ApiProperty({ example, description }),
    toInt(),
    IsInt({ message: '$property must be a positive integer' }),
    Min(1, { message: '$property must be a positive integer' }),
    Max(MAX_ID, { message: `$property must not be greater than ${MAX_ID}` }),
  );
}

/** An optional count in the query string (?limit=20): a whole number from 1 to MAX_LIMIT, else the default. */
function OptionalCount(byDefault: number) {
  return stacked(
    ApiPropertyOptional({ example: byDefault, minimum: 1, maximum: MAX_LIMIT, default: byDefault }),
    IsOptional(),
    toInt(),
    IsInt({ message: '$property must be an integer' }),
    Min(1, { message: '$property must be at least 1' }),
    Max(MAX_LIMIT, { message: `$property must not be greater than ${MAX_LIMIT}` }),
  );
}

/** An IATA airport code; the message shows `example` as one. */
const IsIata = (example: string) =>
  Matches(IATA, {
    message: `$property must be 3 uppercase letters (an IATA airport code such as ${example})`,
  });

/** A real calendar day in YYYY-MM-DD (2026-02-30 is not one). */
function IsDay(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isDay',
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} must be an existing date in YYYY-MM-DD format`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !DAY.test(value)) return false;
          const d = new Date(`${value}T00:00:00Z`);
          return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
        },
      },
    });
}

/** Compares with another field of the same object (only when both are present and valid on their own). */
function Compare(other: string, ok: (mine: string, theirs: string) => boolean, message: string) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'compare',
      target: object.constructor,
      propertyName,
      constraints: [other],
      options: { message },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const theirs = (args.object as Record<string, unknown>)[other];
          return typeof value !== 'string' || typeof theirs !== 'string' || ok(value, theirs);
        },
      },
    });
}

export class RefreshQuery {
  @ApiPropertyOptional({ description: 'Skip the cache read, load from the database and overwrite the entry' })
  @IsOptional()
  @toBool()
  @IsBoolean({ message: 'refresh must be true or false' })
  refresh?: boolean;
}

export class FlightIdParams {
  @PositiveId(115, 'Flight id (positive integer)')
  flightId: number;
}

export class PassengerIdParams {
  @PositiveId(1000, 'Passenger id (positive integer)')
  passengerId: number;
}

export class PassportParams {
  @ApiProperty({ example: 'P10000001', description: 'Passport number: 9 characters A-Z or 0-9' })
  @Matches(/^[A-Z0-9]{9}$/, { message: 'passportNo must be 9 characters, uppercase letters A-Z or digits' })
  passportNo: string;
}

export class IataParams {
  @ApiProperty({ example: 'JFK', description: 'IATA airport code: 3 uppercase letters' })
  @IsIata('JFK')
  iata: string;
}

export class SampleQuery extends RefreshQuery {
  @OptionalCount(10)
  count: number = 10;
}

export class AirportsQuery extends RefreshQuery {
  @ApiProperty({
    example: 'Germany',
    description: 'Country name: letters, spaces, dots, apostrophes, hyphens',
  })
  @Matches(/^\p{L}[\p{L} .'’-]{0,49}$/u, {
    message: 'country must be a country name of up to 50 letters, spaces, dots, apostrophes or hyphens',
  })
  country: string;

  @OptionalCount(10)
  limit: number = 10;
}

export class SearchQuery extends RefreshQuery {
  @ApiProperty({ example: 'JFK', description: 'Departure airport (IATA)' })
  @IsIata('JFK')
  from: string;

  @ApiProperty({ example: 'LAX', description: 'Arrival airport (IATA)' })
  @IsIata('LAX')
  @Compare('from', (to, from) => to !== from, 'to must be a different airport than from')
  to: string;

  @ApiProperty({ example: '2026-03-01', description: 'Departure day (UTC), YYYY-MM-DD' })
  @IsDay()
  date: string;
}

export class RoundTripQuery extends RefreshQuery {
  @ApiProperty({ example: 'JFK' })
  @IsIata('JFK')
  from: string;

  @ApiProperty({ example: 'LAX' })
  @IsIata('LAX')
  @Compare('from', (to, from) => to !== from, 'to must be a different airport than from')
  to: string;

  @ApiProperty({ example: '2026-03-01', description: 'Outbound day (UTC), YYYY-MM-DD' })
  @IsDay()
  depart: string;

  @ApiProperty({ example: '2026-03-08', description: 'Return day (UTC), YYYY-MM-DD, not before depart' })
  @IsDay()
  @Compare('depart', (ret, depart) => ret >= depart, 'return must not be before depart')
  return: string;
}

export class LimitQuery {
  @OptionalCount(10)
  limit: number = 10;
}

export const DEFAULT_HUBS = ['ATL', 'ORD', 'JFK', 'LAX', 'DFW'];
const MAX_HUBS = 20;

export class HubRoutesQuery extends RefreshQuery {
  @ApiPropertyOptional({
    example: DEFAULT_HUBS.join(','),
    description: `Up to ${MAX_HUBS} IATA codes, comma-separated`,
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value))
  @IsArray({ message: 'airports must be a comma-separated list of IATA codes' })
  @ArrayMinSize(1, { message: 'airports must name at least one airport' })
  @ArrayMaxSize(MAX_HUBS, { message: `airports must name at most ${MAX_HUBS} airports` })
  @Matches(IATA, {
    each: true,
    message: 'airports must be IATA codes of 3 uppercase letters, comma-separated',
  })
  airports: string[] = DEFAULT_HUBS;

  @OptionalCount(20)
  limit: number = 20;
}

export class ExplainParams {
  @ApiProperty({ enum: EXPLAINABLE_QUERIES, example: 'flight_search' })
  @IsIn(EXPLAINABLE_QUERIES, { message: `name must be one of: ${EXPLAINABLE_QUERIES.join(', ')}` })
  name: ExplainableQuery;
}
