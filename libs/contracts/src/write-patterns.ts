/**
 * The write path's messages between gateway and writer-service: patterns, request bodies (validated at the
 * gateway, so every bad field is a 400 naming it) and the answers.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsISO8601,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { SEAT_PATTERN } from './seats';

export const WRITE_PATTERNS = {
  createBooking: { cmd: 'bookings.create' },
  bookingStatus: { cmd: 'bookings.status' },
  cancelBooking: { cmd: 'bookings.cancel' },
  updateFlight: { cmd: 'flights.update' },
} as const;

export const BOOKING_MODES = ['write-through', 'write-behind'] as const;
export type BookingMode = (typeof BOOKING_MODES)[number];

/** Largest id the schema's `int` columns hold. */
const MAX_INT = 2147483647;
/** decimal(10,2). */
const MAX_PRICE = 99999999.99;

/** Write-behind references are UUIDs (random, so they reveal nothing and never collide across flushers). */
export const BOOKING_REFERENCE_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CreateBookingDto {
  @ApiProperty({ example: 115, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  flightId: number;

  @ApiProperty({ example: 1000, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  passengerId: number;

  @ApiProperty({ example: '12C', description: 'Row and letter; must exist on the aircraft (400 otherwise)' })
  @IsString()
  @Matches(SEAT_PATTERN, { message: 'seat must be a row number and a seat letter, such as 12C' })
  seat: string;

  @ApiProperty({ example: 199.99, minimum: 0, maximum: MAX_PRICE })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  @Max(MAX_PRICE)
  price: number;

  @ApiPropertyOptional({ enum: BOOKING_MODES, default: 'write-through' })
  @IsOptional()
  @IsIn(BOOKING_MODES)
  mode?: BookingMode;
}

export class UpdateFlightDto {
  @ApiProperty({
    example: '2026-05-01T10:00:00Z',
    description: 'New departure (ISO 8601, UTC when no offset)',
  })
  @IsISO8601({ strict: true })
  departure: string;

  @ApiProperty({ example: '2026-05-01T13:30:00Z', description: 'New arrival; must be after the departure' })
  @IsISO8601({ strict: true })
  arrival: string;

  @ApiPropertyOptional({ example: 'moved 2 hours later', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  comment?: string;
}

/** writer-service messages: the HTTP body plus the path parameter. */
export interface UpdateFlightMessage extends UpdateFlightDto {
  flightId: number;
}

export interface BookingView {
  bookingId: number;
  flightId: number;
  passengerId: number;
  seat: string;
  /** Money as a number with two decimals, as in the read path. */
  price: number;
  mode: BookingMode;
  reference: string | null;
}

/** pending: accepted, not yet in the database; persisted: in the database; failed: refused by the database. */
export type BookingStatus = 'pending' | 'persisted' | 'failed' | 'cancelled';

export interface BookingStatusView {
  reference: string;
  status: BookingStatus;
  flightId: number;
  passengerId: number;
  seat: string;
  price: number;
  acceptedAt: string;
  /** Set once persisted. */
  bookingId?: number;
  persistedAt?: string;
  /** Set when the database refused the booking. */
  reason?: string;
}

export interface WriteBehindAccepted {
  reference: string;
  status: 'pending';
}

export interface CancelledBooking {
  bookingId: number;
  flightId: number;
  passengerId: number;
  seat: string | null;
  cancelled: true;
}

export interface FlightUpdateView {
  flightId: number;
  departure: string;
  arrival: string;
  previous: { departure: string; arrival: string };
  comment: string | null;
}
