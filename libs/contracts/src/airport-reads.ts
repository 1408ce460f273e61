/** Reads of airports (GET /api/airports...): request, result and definition of each. */
import { ApiProperty } from '@nestjs/swagger';
import { Keys } from '@app/cache';
import { Matches } from 'class-validator';
import { requestOf, typed } from './operation';
import { read } from './read-operation';
import { RefreshQuery } from './refresh-query';
import { IsIata, OptionalCount } from './request-fields';

export class IataParams {
  @ApiProperty({ example: 'JFK', description: 'IATA airport code: 3 uppercase letters' })
  @IsIata('JFK')
  iata: string;
}

export class AirportsQuery extends RefreshQuery {
  @ApiProperty({
    example: 'Germany',
    description: 'Country name: letters, spaces, dots, apostrophes, hyphens',
  })
  @Matches(/^\p{L}[\p{L} .'’-]{0,49}$/u, {
    message: 'country must be a country name of up to 50 letters, spaces, dots, apostrophes or hyphens',
  })
  country: string;

  @OptionalCount(10)
  limit: number = 10;
}

export interface AirportSummary {
  airportId: number;
  iata: string | null;
  icao: string;
  name: string;
  city: string | null;
  country: string | null;
}

export interface AirportDetails extends AirportSummary {
  latitude: number | null;
  longitude: number | null;
}

export const AIRPORT_READS = {
  airportsByCountry: read({
    pattern: { cmd: 'reads.airports-by-country' },
    payload: typed<AirportsQuery>(),
    request: AirportsQuery,
    result: typed<AirportSummary[]>(),
    queryClass: 'airports_by_country',
    ttl: 'reference',
    cache: { json: (p) => Keys.airportsByCountry(p.country, p.limit) },
    explain: true,
  }),

  airport: read({
    pattern: { cmd: 'reads.airport' },
    payload: typed<IataParams & RefreshQuery>(),
    request: requestOf(IataParams, RefreshQuery),
    result: typed<AirportDetails>(),
    queryClass: 'airport',
    ttl: 'reference',
    cache: { json: (p) => Keys.airport(p.iata) },
    explain: true,
  }),
};
