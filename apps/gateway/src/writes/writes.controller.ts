import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  BookingIdParams,
  CreateBookingBody,
  FlightIdParams,
  ReferenceParams,
  UpdateFlightBody,
} from '@app/contracts';
import { Idempotency, WriteOutcome } from './idempotency';
import { WritesClient } from './writes-client';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes a retry safe: the first outcome (status and body) is kept for 24 h and answered again to a retry with the same key and request, without doing anything (header Idempotent-Replayed: true); the same key with another request is 422',
};

/** Sets the status (and says when the outcome is a replay) and returns the body. */
function answer(reply: FastifyReply, outcome: WriteOutcome & { replayed: boolean }): unknown {
  reply.status(outcome.status);
  if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
  return outcome.body;
}

@ApiTags('writes')
@ApiBadRequestResponse({
  description:
    'A malformed or unknown field (the message names it); a JSON body nested more than 16 levels or with more than 128 keys',
})
@ApiPayloadTooLargeResponse({
  description: 'A body larger than GATEWAY_BODY_LIMIT_BYTES (16 KiB by default)',
})
@Controller('api')
export class WritesController {
  constructor(
    private readonly writes: WritesClient,
    private readonly idempotency: Idempotency,
  ) {}

  @Post('bookings')
  @ApiOperation({
    summary:
      'Book a seat: write-through (201, in the database before the answer) or write-behind (202, reserved in Valkey, persisted moments later)',
  })
  @ApiCreatedResponse({ description: 'write-through: {data: booking, meta}' })
  @ApiAcceptedResponse({ description: 'write-behind: {data: {reference, status: "pending"}, meta}' })
  @ApiNotFoundResponse({ description: 'Unknown flight or passenger' })
  @ApiConflictResponse({ description: 'The seat is taken (booked, reserved, or being booked)' })
  @ApiServiceUnavailableResponse({
    description: 'The database (write-through) or Valkey (write-behind) is unavailable',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiUnprocessableEntityResponse({
    description: 'The Idempotency-Key was used before with a different request',
  })
  async book(
    @Body() body: CreateBookingBody,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.idempotency.once(key, 'bookings', body, async () => ({
      status: body.mode === 'write-behind' ? 202 : 201,
      body: await this.writes.call('createBooking', body),
    }));
    return answer(reply, outcome);
  }

  @Get('bookings/:reference')
  @ApiOperation({
    summary:
      'Status of a write-behind booking: pending, persisted (with bookingId), failed (with reason) or cancelled',
  })
  @ApiOkResponse({ description: '{data: {reference, status, bookingId?, reason?, ...}, meta}' })
  @ApiNotFoundResponse({ description: 'No booking with this reference' })
  status(@Param() p: ReferenceParams) {
    return this.writes.call('bookingStatus', { reference: p.reference });
  }

  @Delete('bookings/:bookingId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a booking and free its seat' })
  @ApiOkResponse({ description: '{data: {bookingId, flightId, passengerId, seat, cancelled: true}, meta}' })
  @ApiNotFoundResponse({ description: 'No such booking' })
  cancel(@Param() p: BookingIdParams) {
    return this.writes.call('cancelBooking', { bookingId: p.bookingId });
  }

  @Patch('flights/:flightId')
  @ApiOperation({
    summary:
      'Move a flight: one transaction updates its times and writes a flight_log row; the cached flight is refreshed',
  })
  @ApiOkResponse({ description: '{data: {flightId, departure, arrival, previous, comment}, meta}' })
  @ApiAcceptedResponse({
    description:
      'mode write-behind: {data: {reference, status: "pending", flightId, seq, departure, arrival}, meta}; the cached flight shows it at once, GET /api/flight-changes/:reference follows it to the database',
  })
  @ApiNotFoundResponse({ description: 'No such flight' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiUnprocessableEntityResponse({
    description: 'The Idempotency-Key was used before with a different request',
  })
  async updateFlight(
    @Param() p: FlightIdParams,
    @Body() body: UpdateFlightBody,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const message = { ...body, flightId: p.flightId };
    const outcome = await this.idempotency.once(key, 'flights', message, async () => ({
      status: body.mode === 'write-behind' ? 202 : 200,
      body: await this.writes.call('updateFlight', message),
    }));
    return answer(reply, outcome);
  }
}
