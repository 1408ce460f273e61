import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AirportCodeParams, LeaderboardQuery, RankQuery } from '@app/contracts';
import { LeaderboardsClient } from './leaderboards-client';

@ApiTags('leaderboards')
@ApiBadRequestResponse({ description: 'A malformed parameter (the message names it)' })
@Controller('api/leaderboards')
export class LeaderboardsController {
  constructor(private readonly leaderboards: LeaderboardsClient) {}

  @Get('airports')
  @ApiOperation({
    summary: 'Top airports of a day by departures, arrivals, flights (both) or passengers',
    description:
      'A Valkey sorted set per day and question, built from the database on a miss (meta.source "database", ' +
      'the SQL time) and answered from the sorted set afterwards (meta.source "cache"); the passengers board ' +
      'follows every booking and cancellation. ?refresh=true rebuilds it from the database.',
  })
  @ApiOkResponse({ description: '{data: {date, by, airports, top: [{rank, code, name, count}]}, meta}' })
  top(@Query() q: LeaderboardQuery) {
    return this.leaderboards.call('airportLeaderboard', {
      date: q.date,
      by: q.by,
      limit: q.limit,
      refresh: q.refresh,
    });
  }

  @Get('airports/:code/rank')
  @ApiOperation({
    summary: "An airport's place on each board of a day (IATA or ICAO code)",
  })
  @ApiOkResponse({
    description:
      '{data: {date, code, name, departures, arrivals, flights, passengers: {rank, count, of}}, meta}',
  })
  rank(@Param() p: AirportCodeParams, @Query() q: RankQuery) {
    return this.leaderboards.call('airportRank', { code: p.code, date: q.date, refresh: q.refresh });
  }
}
