/**
 * Reads of one flight (GET /api/flights/:flightId...): request, result and definition of each.
 * Timestamps are ISO strings in UTC; money is a number with two decimals.
 */
import { Keys } from '@app/cache';
import { requestOf, typed } from './operation';
import { read } from './read-operation';
import { RefreshQuery } from './refresh-query';
import { PositiveId } from './request-fields';
import { readSeatView } from './structure-reads';

export class FlightIdParams {
  @PositiveId(115, 'Flight id (positive integer)')
  flightId: number;
}

export type FlightStatus = 'completed' | 'in progress' | 'upcoming';

export interface AirportRef {
  airportId: number;
  iata: string | null;
  icao: string;
  name: string;
}

export interface AirlineRef {
  airlineId: number;
  iata: string;
  name: string | null;
}

export interface FlightDetails {
  flightId: number;
  flightno: string;
  departure: string;
  arrival: string;
  durationMinutes: number;
  status: FlightStatus;
  airline: AirlineRef;
  from: AirportRef;
  to: AirportRef;
  airplane: { airplaneId: number; type: string | null; capacity: number };
}

export interface ManifestEntry {
  seat: string | null;
  passengerId: number;
  firstname: string;
  lastname: string;
  passportNo: string;
  country: string | null;
  price: number;
}

export interface SeatAvailability {
  flightId: number;
  capacity: number;
  booked: number;
  available: number;
  /** Booked seat names in seat order (from the seat bitmap). */
  bookedSeats: string[];
}

/** Decided at answer time, so a cached flight turns from upcoming to in progress to completed on its own. */
export function flightStatus(departure: string, arrival: string, now = Date.now()): FlightStatus {
  if (Date.parse(departure) > now) return 'upcoming';
  if (Date.parse(arrival) < now) return 'completed';
  return 'in progress';
}

/** A flight as cached (no status) with its status now. */
export function withFlightStatus<F extends { departure: string; arrival: string }>(
  f: F,
): F & { status: FlightStatus } {
  return { ...f, status: flightStatus(f.departure, f.arrival) };
}

/** The payload of every read of one flight. */
const FLIGHT_READ = requestOf(FlightIdParams, RefreshQuery);

export const FLIGHT_READS = {
  flight: read({
    pattern: { cmd: 'reads.flight' },
    payload: typed<FlightIdParams & RefreshQuery>(),
    request: FLIGHT_READ,
    result: typed<FlightDetails>(),
    queryClass: 'flight',
    ttl: 'flight',
    cache: { json: (p) => Keys.flight(p.flightId) },
    explain: true,
    present: (stored: Omit<FlightDetails, 'status'>) => withFlightStatus(stored),
  }),

  manifest: read({
    pattern: { cmd: 'reads.manifest' },
    payload: typed<FlightIdParams & RefreshQuery>(),
    request: FLIGHT_READ,
    result: typed<ManifestEntry[]>(),
    queryClass: 'manifest',
    ttl: 'manifest',
    cache: { json: (p) => Keys.manifest(p.flightId) },
    explain: true,
  }),

  /** Counters in a hash and booked seats in a bitmap (bit = seatIndex): the structures the writer books against. */
  seats: read({
    pattern: { cmd: 'reads.seats' },
    payload: typed<FlightIdParams & RefreshQuery>(),
    request: FLIGHT_READ,
    result: typed<SeatAvailability>(),
    queryClass: 'seats',
    ttl: 'seats',
    cache: { structures: (p) => [Keys.seatCounters(p.flightId), Keys.seatMap(p.flightId)] },
    readStructure: (c, keys, p) => readSeatView(c, keys, p.flightId),
    explain: true,
  }),
};
