/**
 * Every write of the writer-service, by name (WRITES.createBooking...): message pattern, payload and result, with
 * the request classes the gateway validates (so every bad field is a 400 naming it) and the answers.
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
import type { CacheResult } from '@app/cache';
import { FlightIdParams } from './flight-reads';
import { operation, requestOf, typed } from './operation';
import { MAX_ID, PositiveId } from './request-fields';
import { SEAT_PATTERN } from './seats';

export const BOOKING_MODES = ['write-through', 'write-behind'] as const;
export type BookingMode = (typeof BOOKING_MODES)[number];

/** decimal(10,2). */
const MAX_PRICE = 99999999.99;

/** Write-behind references are UUIDs (random, so they reveal nothing and never collide across flushers). */
export const BOOKING_REFERENCE_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CreateBookingBody {
  @ApiProperty({ example: 115, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  flightId: number;

  @ApiProperty({ example: 1000, minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
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

export class ReferenceParams {
  @ApiProperty({
    example: '5f0c6d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
    description: 'As returned by a write-behind booking',
  })
  @Matches(BOOKING_REFERENCE_PATTERN, {
    message: 'reference must be a booking reference (a lower-case UUID)',
  })
  reference: string;
}

/** An operation without a payload. */
export class NoBody {}

export class BookingIdParams {
  @PositiveId(1234, 'Booking id (positive integer)')
  bookingId: number;
}

export class UpdateFlightBody {
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

  @ApiPropertyOptional({
    enum: BOOKING_MODES,
    default: 'write-through',
    description:
      'write-through: 200 once the database has it; write-behind: 202 once the cache has it, the database and its flight_log row follow (changes to one flight in one batch become one UPDATE)',
  })
  @IsOptional()
  @IsIn(BOOKING_MODES)
  mode?: BookingMode;
}

export class FlightChangeReferenceParams {
  @ApiProperty({
    example: '5f0c6d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
    description: 'As returned by a write-behind flight change',
  })
  @Matches(BOOKING_REFERENCE_PATTERN, {
    message: 'reference must be a flight change reference (a lower-case UUID)',
  })
  reference: string;
}

/** 202 to a write-behind flight change: the cache shows it now, the database follows. */
export interface FlightChangeAccepted {
  reference: string;
  status: 'pending';
  flightId: number;
  /** The change's place among the flight's changes: they reach the database in this order. */
  seq: number;
  departure: string;
  arrival: string;
}

export interface FlightChangeStatusView {
  reference: string;
  /** pending: in the cache only; persisted: in the database with its flight_log row; failed: refused. */
  status: 'pending' | 'persisted' | 'failed';
  flightId: number;
  seq: number;
  departure: string;
  arrival: string;
  acceptedAt: string;
  persistedAt?: string;
  /** The batch that persisted it: changes in it, and UPDATE statements it ran (coalescing). */
  batchChanges?: number;
  batchUpdates?: number;
  reason?: string;
}

/** Totals of write-behind flight changes since the stream was created: what coalescing saved. */
export interface FlightChangeTotals {
  accepted: number;
  persisted: number;
  failed: number;
  /** UPDATE statements run on the flight table for them. */
  updates: number;
  batches: number;
  /** Accepted, not yet in the database. */
  pending: number;
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

export const WRITES = {
  /** POST /api/bookings: write-through (in the database before the answer) or write-behind (202, pending). */
  createBooking: operation({
    pattern: { cmd: 'bookings.create' },
    payload: typed<CreateBookingBody>(),
    request: CreateBookingBody,
    reply: typed<CacheResult<BookingView | WriteBehindAccepted>>(),
  }),

  /** GET /api/bookings/:reference: status of a write-behind booking. */
  bookingStatus: operation({
    pattern: { cmd: 'bookings.status' },
    payload: typed<ReferenceParams>(),
    request: ReferenceParams,
    reply: typed<CacheResult<BookingStatusView>>(),
  }),

  /** DELETE /api/bookings/:bookingId. */
  cancelBooking: operation({
    pattern: { cmd: 'bookings.cancel' },
    payload: typed<BookingIdParams>(),
    request: BookingIdParams,
    reply: typed<CacheResult<CancelledBooking>>(),
  }),

  /** PATCH /api/flights/:flightId: the body plus the flight from the path. */
  updateFlight: operation({
    pattern: { cmd: 'flights.update' },
    payload: typed<UpdateFlightBody & FlightIdParams>(),
    request: requestOf(UpdateFlightBody, FlightIdParams),
    reply: typed<CacheResult<FlightUpdateView | FlightChangeAccepted>>(),
  }),

  /** GET /api/flight-changes/:reference: status of a write-behind flight change. */
  flightChangeStatus: operation({
    pattern: { cmd: 'flights.change-status' },
    payload: typed<FlightChangeReferenceParams>(),
    request: FlightChangeReferenceParams,
    reply: typed<CacheResult<FlightChangeStatusView>>(),
  }),

  /** GET /api/flight-changes: changes accepted vs UPDATE statements run (write-behind coalescing). */
  flightChangeTotals: operation({
    pattern: { cmd: 'flights.change-totals' },
    payload: typed<NoBody>(),
    request: NoBody,
    reply: typed<CacheResult<FlightChangeTotals>>(),
  }),
};

export type WriteName = keyof typeof WRITES;
export type WritePayload<N extends WriteName> = (typeof WRITES)[N]['payload'];
export type WriteResult<N extends WriteName> =
  (typeof WRITES)[N]['reply'] extends CacheResult<infer R> ? R : never;

/** Payload and result of every write (what the gateway's client is typed with). */
export type WriteSignatures = { [N in WriteName]: { payload: WritePayload<N>; result: WriteResult<N> } };
