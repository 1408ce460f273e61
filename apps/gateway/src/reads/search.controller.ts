import { Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  ExplainParams,
  HubRoutesQuery,
  LimitQuery,
  RefreshQuery,
  RoundTripQuery,
  SearchQuery,
} from '@app/contracts';
import { ReadsClient } from './reads-client';
import { ReadController } from './read-controller.decorator';

@ReadController('api')
export class SearchController {
  constructor(private readonly reads: ReadsClient) {}

  @Get('search/flights')
  @ApiOperation({
    summary: 'Flights on a route and day with booked and free seats; counts towards popular routes',
  })
  @ApiOkResponse({ description: '{data: FlightOffer[], meta}' })
  search(@Query() q: SearchQuery) {
    return this.reads.call('searchFlights', { from: q.from, to: q.to, date: q.date, refresh: q.refresh });
  }

  @Get('search/roundtrip')
  @ApiOperation({ summary: 'Both directions in one answer' })
  @ApiOkResponse({ description: '{data: {outbound, return}, meta}' })
  roundTrip(@Query() q: RoundTripQuery) {
    return this.reads.call('roundTrip', {
      from: q.from,
      to: q.to,
      depart: q.depart,
      return: q.return,
      refresh: q.refresh,
    });
  }

  @Get('routes/popular')
  @ApiOperation({ summary: 'Most searched routes (a Valkey sorted set bumped by every search)' })
  @ApiOkResponse({ description: '{data: PopularRoute[], meta}' })
  popular(@Query() q: LimitQuery) {
    return this.reads.call('popularRoutes', { limit: q.limit });
  }

  @Get('routes/hubs')
  @ApiOperation({
    summary: 'Routes from hub airports with flight counts (BI query over flight and flightschedule)',
  })
  @ApiOkResponse({ description: '{data: HubRoute[], meta}' })
  hubs(@Query() q: HubRoutesQuery) {
    return this.reads.call('hubRoutes', { airports: q.airports, limit: q.limit, refresh: q.refresh });
  }

  @Get('queries/:name/explain')
  @ApiOperation({ summary: "The database's plan for a named query on the active engine" })
  @ApiOkResponse({ description: '{data: QueryPlan, meta}' })
  explain(@Param() p: ExplainParams, @Query() q: RefreshQuery) {
    return this.reads.call('explain', { name: p.name, refresh: q.refresh });
  }
}
