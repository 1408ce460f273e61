import { Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AirportsQuery, IataParams, RefreshQuery } from '@app/contracts';
import { ReadsClient } from './reads-client';
import { ReadController } from './read-controller.decorator';

@ReadController('api/airports')
export class AirportsController {
  constructor(private readonly reads: ReadsClient) {}

  @Get()
  @ApiOperation({ summary: 'Airports in a country, with city, by name' })
  @ApiOkResponse({ description: '{data: AirportSummary[], meta}' })
  byCountry(@Query() q: AirportsQuery) {
    return this.reads.call('airportsByCountry', { country: q.country, limit: q.limit, refresh: q.refresh });
  }

  @Get(':iata')
  @ApiOperation({ summary: 'One airport with its geo data' })
  @ApiOkResponse({ description: '{data: AirportDetails, meta}' })
  @ApiNotFoundResponse({ description: 'No airport with this IATA code' })
  airport(@Param() p: IataParams, @Query() q: RefreshQuery) {
    return this.reads.call('airport', { iata: p.iata, refresh: q.refresh });
  }
}
