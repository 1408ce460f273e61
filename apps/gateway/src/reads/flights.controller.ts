import { Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { FlightDetails, ManifestEntry, SeatAvailability } from '@app/contracts';
import { FlightIdParams, RefreshQuery } from './reads.dto';
import { QueryClient } from './query-client.service';
import { ReadController } from './read-controller.decorator';

@ReadController('api/flights')
export class FlightsController {
  constructor(private readonly query: QueryClient) {}

  @Get(':flightId')
  @ApiOperation({ summary: 'Flight details: flight, airline, both airports, status (cache-aside)' })
  @ApiOkResponse({ description: '{data, meta:{source, latencyMs, cacheKey}}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  flight(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.query.read<FlightDetails>('flight', { flightId: p.flightId, refresh: q.refresh });
  }

  @Get(':flightId/manifest')
  @ApiOperation({ summary: 'Manifest: seat, names, passport, country, price, ordered by seat' })
  @ApiOkResponse({ description: '{data: ManifestEntry[], meta}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  manifest(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.query.read<ManifestEntry[]>('manifest', { flightId: p.flightId, refresh: q.refresh });
  }

  @Get(':flightId/seats')
  @ApiOperation({
    summary: 'Seat availability: capacity, booked, available, booked seats (hash + bitmap in Valkey)',
  })
  @ApiOkResponse({ description: '{data: SeatAvailability, meta}' })
  @ApiNotFoundResponse({ description: 'No such flight' })
  seats(@Param() p: FlightIdParams, @Query() q: RefreshQuery) {
    return this.query.read<SeatAvailability>('seats', { flightId: p.flightId, refresh: q.refresh });
  }
}
