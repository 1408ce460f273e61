/** Reads of passengers (GET /api/passengers/...): request, result and definition of each. */
import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { Keys } from '@app/cache';
import { FlightStatus, withFlightStatus } from './flight-reads';
import { requestOf, typed } from './operation';
import { read } from './read-operation';
import { RefreshQuery } from './refresh-query';
import { OptionalCount, PositiveId } from './request-fields';
import type { RouteEnd } from './search-reads';
import { readPassengerProfile } from './structure-reads';

export class PassportParams {
  @ApiProperty({ example: 'P10000001', description: 'Passport number: 9 characters A-Z or 0-9' })
  @Matches(/^[A-Z0-9]{9}$/, { message: 'passportNo must be 9 characters, uppercase letters A-Z or digits' })
  passportNo: string;
}

export class PassengerIdParams {
  @PositiveId(1000, 'Passenger id (positive integer)')
  passengerId: number;
}

export class SampleQuery extends RefreshQuery {
  @OptionalCount(10)
  count: number = 10;
}

export interface PassengerRef {
  passengerId: number;
  passportNo: string;
  firstname: string;
  lastname: string;
}

export interface PassengerFlight {
  bookingId: number;
  flightId: number;
  flightno: string;
  departure: string;
  arrival: string;
  status: FlightStatus;
  from: RouteEnd;
  to: RouteEnd;
  airline: { iata: string; name: string | null };
  aircraft: { type: string | null; capacity: number };
  seat: string | null;
  price: number;
}

export interface PassengerFlights {
  passenger: PassengerRef;
  /** The last 10 bookings, newest departure first. */
  flights: PassengerFlight[];
}

export interface FrequentRoute {
  /** "FROM-TO" by IATA. */
  route: string;
  flights: number;
}

export interface PassengerProfile {
  passenger: PassengerRef;
  totalFlights: number;
  totalSpent: number;
  airlinesUsed: number;
  airportsVisited: number;
  /** Most flown routes first (a Valkey sorted set). */
  frequentRoutes: FrequentRoute[];
}

export interface PassengerSampleEntry {
  passengerId: number;
  passportNo: string;
  firstname: string;
  lastname: string;
  bookings: number;
  /** How the dashboard shows it: `First Last (PASSPORT) - N bookings`. */
  label: string;
}

export const PASSENGER_READS = {
  /** The last 10 bookings by passport number (8-table join), each with its status at answer time. */
  passengerFlights: read({
    pattern: { cmd: 'reads.passenger-flights' },
    payload: typed<PassportParams & RefreshQuery>(),
    request: requestOf(PassportParams, RefreshQuery),
    result: typed<PassengerFlights>(),
    queryClass: 'passenger_flights',
    ttl: 'passenger',
    cache: { json: (p) => Keys.passengerFlights(p.passportNo) },
    explain: true,
    present: (stored: { passenger: PassengerRef; flights: Omit<PassengerFlight, 'status'>[] }) => ({
      ...stored,
      flights: stored.flights.map(withFlightStatus),
    }),
  }),

  /** Totals in a hash, routes in a sorted set scored by flights taken. */
  passengerProfile: read({
    pattern: { cmd: 'reads.passenger-profile' },
    payload: typed<PassengerIdParams & RefreshQuery>(),
    request: requestOf(PassengerIdParams, RefreshQuery),
    result: typed<PassengerProfile>(),
    queryClass: 'passenger_profile',
    ttl: 'passenger',
    cache: { structures: (p) => [Keys.passengerProfile(p.passengerId), Keys.passengerRoutes(p.passengerId)] },
    readStructure: (c, keys) => readPassengerProfile(c, keys),
    explain: true,
  }),

  /**
   * Random passengers that have bookings, with their booking counts: a pool of them is cached as a set and every
   * request draws its own sample from it (SRANDMEMBER), so "Random 10" is random per click.
   */
  passengerSample: read({
    pattern: { cmd: 'reads.passenger-sample' },
    payload: typed<SampleQuery>(),
    request: SampleQuery,
    result: typed<PassengerSampleEntry[]>(),
    queryClass: 'passenger_sample',
    ttl: 'passenger',
    cache: { structures: () => [Keys.passengerPool()] },
    explain: true,
  }),
};
