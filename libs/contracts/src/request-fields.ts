/**
 * Field decorators of the request classes (path parameters, query strings, bodies). Every rule answers 400 with a
 * message naming the field, so nothing that reaches a service can be malformed. Path and query values arrive as
 * strings and are converted here.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidationArguments,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';

/** Largest id the schema's `int` columns hold. */
export const MAX_ID = 2_147_483_647;
const MAX_LIMIT = 100;
/** An IATA airport code: 3 uppercase letters. */
export const IATA_CODE = /^[A-Z]{3}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** "42" -> 42; anything else is left as is so that IsInt reports it. */
export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value));
/** "true"/"false" -> booleans; anything else is left as is so that IsBoolean reports it. */
export const ToBool = () =>
  Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/**
 * Several decorators as one, applied as if stacked above the property in this order (TypeScript applies stacked
 * decorators bottom-up; keeping that order keeps the order of the 400 messages).
 */
const stacked = (...decorators: PropertyDecorator[]) => applyDecorators(...decorators.reverse());

/** A path id: "42" -> 42; a whole number from 1 to MAX_ID. */
export function PositiveId(example: number, description: string) {
  return stacked(
    ApiProperty({ example, description }),
    ToInt(),
    IsInt({ message: '$property must be a positive integer' }),
    Min(1, { message: '$property must be a positive integer' }),
    Max(MAX_ID, { message: `$property must not be greater than ${MAX_ID}` }),
  );
}

/** An optional count in the query string (?limit=20): a whole number from 1 to MAX_LIMIT, else the default. */
export function OptionalCount(byDefault: number) {
  return stacked(
    ApiPropertyOptional({ example: byDefault, minimum: 1, maximum: MAX_LIMIT, default: byDefault }),
    IsOptional(),
    ToInt(),
    IsInt({ message: '$property must be an integer' }),
    Min(1, { message: '$property must be at least 1' }),
    Max(MAX_LIMIT, { message: `$property must not be greater than ${MAX_LIMIT}` }),
  );
}

/** `?refresh=true|false`. */
export function OptionalFlag(description: string, message: string) {
  return stacked(ApiPropertyOptional({ description }), IsOptional(), ToBool(), IsBoolean({ message }));
}

/** An IATA airport code; the message shows `example` as one. */
export const IsIata = (example: string) =>
  Matches(IATA_CODE, {
    message: `$property must be 3 uppercase letters (an IATA airport code such as ${example})`,
  });

/** A real calendar day in YYYY-MM-DD (2026-02-30 is not one). */
export function IsDay(options?: ValidationOptions) {
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
export function Compare(other: string, ok: (mine: string, theirs: string) => boolean, message: string) {
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
