/**
 * Airport leaderboards of one day (GET /api/leaderboards/...), answered by the query-service: each board is a
 * Valkey sorted set built from the database on a miss (under the stampede lock) and kept current by the booking
 * events the cache-warmer consumes. The original workshop's leaderboard demo asks the same questions of SQL and
 * of sorted sets.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import type { CacheResult } from '@app/cache';
import { operation, requestOf, typed } from './operation';
import { RefreshQuery } from './refresh-query';
import { IsDay, OptionalCount } from './request-fields';

/**
 * What a board ranks airports by, on the day: flights departing, flights arriving, both, or passengers (booked
 * seats on the flights departing or arriving there).
 */
export const LEADERBOARD_KINDS = ['departures', 'arrivals', 'flights', 'passengers'] as const;
export type LeaderboardKind = (typeof LEADERBOARD_KINDS)[number];

/** An airport code: IATA (3 letters) or ICAO (4 letters or digits, such as KJFK or 9KY1). */
export const AIRPORT_CODE = /^(?:[A-Z]{3}|[A-Z0-9]{4})$/;

export class LeaderboardQuery extends RefreshQuery {
  @ApiProperty({ example: '2026-03-01', description: 'Day (UTC), YYYY-MM-DD' })
  @IsDay()
  date: string;

  @ApiPropertyOptional({ enum: LEADERBOARD_KINDS, default: 'flights' })
  @IsOptional()
  @IsIn(LEADERBOARD_KINDS, { message: `by must be one of: ${LEADERBOARD_KINDS.join(', ')}` })
  by: LeaderboardKind = 'flights';

  @OptionalCount(10)
  limit: number = 10;
}

export class AirportCodeParams {
  @ApiProperty({ example: 'JFK', description: 'IATA (3 letters) or ICAO (4 characters) airport code' })
  @Matches(AIRPORT_CODE, {
    message:
      'code must be an airport code: IATA (3 uppercase letters, such as JFK) or ICAO (4, such as KJFK)',
  })
  code: string;
}

export class RankQuery extends RefreshQuery {
  @ApiProperty({ example: '2026-03-01', description: 'Day (UTC), YYYY-MM-DD' })
  @IsDay()
  date: string;
}

export interface LeaderboardEntry {
  rank: number;
  /** IATA code, or ICAO when the airport has none. */
  code: string;
  name: string;
  count: number;
}

export interface AirportLeaderboard {
  date: string;
  by: LeaderboardKind;
  /** Airports with at least one flight (or passenger) that day. */
  airports: number;
  top: LeaderboardEntry[];
}

export interface AirportStanding {
  /** 1-based, null when the airport has nothing that day. */
  rank: number | null;
  count: number;
  /** Airports on the board. */
  of: number;
}

export interface AirportRank {
  date: string;
  /** The code the board knows the airport by (IATA, else ICAO). */
  code: string;
  name: string | null;
  departures: AirportStanding;
  arrivals: AirportStanding;
  flights: AirportStanding;
  passengers: AirportStanding;
}

export const LEADERBOARDS = {
  /** GET /api/leaderboards/airports?date&by&limit: the top airports of a day. */
  airportLeaderboard: operation({
    pattern: { cmd: 'leaderboards.airports' },
    queryClass: 'leaderboard',
    payload: typed<LeaderboardQuery>(),
    request: LeaderboardQuery,
    reply: typed<CacheResult<AirportLeaderboard>>(),
  }),

  /** GET /api/leaderboards/airports/:code/rank?date: one airport's place on each board of the day. */
  airportRank: operation({
    pattern: { cmd: 'leaderboards.airport-rank' },
    queryClass: 'leaderboard',
    payload: typed<AirportCodeParams & RankQuery>(),
    request: requestOf(AirportCodeParams, RankQuery),
    reply: typed<CacheResult<AirportRank>>(),
  }),
};

export type LeaderboardName = keyof typeof LEADERBOARDS;
export type LeaderboardPayload<N extends LeaderboardName> = (typeof LEADERBOARDS)[N]['payload'];
export type LeaderboardResult<N extends LeaderboardName> =
  (typeof LEADERBOARDS)[N]['reply'] extends CacheResult<infer R> ? R : never;
export type LeaderboardSignatures = {
  [N in LeaderboardName]: { payload: LeaderboardPayload<N>; result: LeaderboardResult<N> };
};
