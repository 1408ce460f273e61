import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { BOOKING_REFERENCE_PATTERN } from '@app/contracts';

/** The flight in PATCH /api/flights/:flightId is validated exactly as in the read routes. */
export { FlightIdParams } from '../reads/reads.dto';

const MAX_ID = 2_147_483_647;
/** "42" -> 42; anything else is left as is so that IsInt reports it. */
const toInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value));

export class BookingIdParams {
  @ApiProperty({ example: 1234 })
  @toInt()
  @IsInt({ message: 'bookingId must be a positive integer' })
  @Min(1, { message: 'bookingId must be a positive integer' })
  @Max(MAX_ID, { message: `bookingId must not be greater than ${MAX_ID}` })
  bookingId: number;
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
