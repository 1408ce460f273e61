import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  BookingIdParams,
  CreateBookingBody,
  FlightIdParams,
  ReferenceParams,
  UpdateFlightBody,
} from '@app/contracts';
import { WritesClient } from './writes-client';

@ApiTags('writes')
@ApiBadRequestResponse({ description: 'A malformed or unknown field (the message names it)' })
@Controller('api')
export class WritesController {
  constructor(private readonly writes: WritesClient) {}

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
  async book(@Body() body: CreateBookingBody, @Res({ passthrough: true }) reply: FastifyReply) {
    const result = await this.writes.call('createBooking', body);
    reply.status(body.mode === 'write-behind' ? 202 : 201);
    return result;
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
  @ApiNotFoundResponse({ description: 'No such flight' })
  updateFlight(@Param() p: FlightIdParams, @Body() body: UpdateFlightBody) {
    return this.writes.call('updateFlight', { ...body, flightId: p.flightId });
  }
}
