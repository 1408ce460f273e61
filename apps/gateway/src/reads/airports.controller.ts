import { Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AirportDetails, AirportSummary } from '@app/contracts';
import { AirportsQuery, IataParams, RefreshQuery } from './reads.dto';
import { QueryClient } from './query-client.service';
import { ReadController } from './read-controller.decorator';

@ReadController('api/airports')
export class AirportsController {
  constructor(private readonly query: QueryClient) {}

  @Get()
  @ApiOperation({ summary: 'Airports in a country, with city, by name' })
  @ApiOkResponse({ description: '{data: AirportSummary[], meta}' })
  byCountry(@Query() q: AirportsQuery) {
    return this.query.read<AirportSummary[]>('airportsByCountry', {
      country: q.country,
      limit: q.limit,
      refresh: q.refresh,
    });
  }

  @Get(':iata')
  @ApiOperation({ summary: 'One airport with its geo data' })
  @ApiOkResponse({ description: '{data: AirportDetails, meta}' })
  @ApiNotFoundResponse({ description: 'No airport with this IATA code' })
  airport(@Param() p: IataParams, @Query() q: RefreshQuery) {
    return this.query.read<AirportDetails>('airport', { iata: p.iata, refresh: q.refresh });
  }
}
