import { Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { PassengerIdParams, PassportParams, RefreshQuery, SampleQuery } from '@app/contracts';
import { ReadsClient } from './reads-client';
import { ReadController } from './read-controller.decorator';

@ReadController('api/passengers')
export class PassengersController {
  constructor(private readonly reads: ReadsClient) {}

  @Get('sample')
  @ApiOperation({ summary: 'Random passengers that have bookings, with their booking counts' })
  @ApiOkResponse({ description: '{data: PassengerSampleEntry[], meta}' })
  sample(@Query() q: SampleQuery) {
    return this.reads.call('passengerSample', { count: q.count, refresh: q.refresh });
  }

  @Get(':passportNo/flights')
  @ApiOperation({
    summary: 'Last 10 bookings by passport number (8-table join), newest departure first, with status',
  })
  @ApiOkResponse({ description: '{data: {passenger, flights}, meta}' })
  @ApiNotFoundResponse({ description: 'No passenger with this passport number' })
  flights(@Param() p: PassportParams, @Query() q: RefreshQuery) {
    return this.reads.call('passengerFlights', { passportNo: p.passportNo, refresh: q.refresh });
  }

  @Get(':passengerId/profile')
  @ApiOperation({
    summary: 'Totals: flights, amount spent, airlines used, airports visited, frequent routes',
  })
  @ApiOkResponse({ description: '{data: PassengerProfile, meta}' })
  @ApiNotFoundResponse({ description: 'No such passenger' })
  profile(@Param() p: PassengerIdParams, @Query() q: RefreshQuery) {
    return this.reads.call('passengerProfile', { passengerId: p.passengerId, refresh: q.refresh });
  }
}
