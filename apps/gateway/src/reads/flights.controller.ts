import { Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { FlightIdParams, RefreshQuery } from '@app/contracts';
import { ReadsClient } from './reads-client';
import { ReadController } from './read-controller.decorator';

@ReadController('api/flights')
export class FlightsController {
  constructor(private readonly reads: ReadsClient) {}

  @Get(':flightId')
  @ApiOperation({ summary: 'Flight details: flight, airline, both airports, status (cache-aside)' })
  @ApiOkResponse({ description: '{data, meta:{source, latencyMs, cacheKey}}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  flight(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.reads.call('flight', { flightId: p.flightId, refresh: q.refresh });
  }

  @Get(':flightId/manifest')
  @ApiOperation({ summary: 'Manifest: seat, names, passport, country, price, ordered by seat' })
  @ApiOkResponse({ description: '{data: ManifestEntry[], meta}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  manifest(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.reads.call('manifest', { flightId: p.flightId, refresh: q.refresh });
  }

  @Get(':flightId/seats')
  @ApiOperation({
    summary: 'Seat availability: capacity, booked, available, booked seats (hash + bitmap in Valkey)',
  })
  @ApiOkResponse({ description: '{data: SeatAvailability, meta}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  seats(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.reads.call('seats', { flightId: p.flightId, refresh: q.refresh });
  }
}
