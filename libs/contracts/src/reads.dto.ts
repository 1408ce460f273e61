/**
 * Payloads and results of the read path (gateway <-> query-service), shared by both sides.
 * Timestamps are ISO strings in UTC; money is a number with two decimals.
 */

/** Every cached read accepts `refresh`: skip the cache read, load from the database and overwrite the entry. */
export interface Refreshable {
  refresh?: boolean;
}

export interface FlightIdPayload extends Refreshable {
  flightId: number;
}
export interface PassportPayload extends Refreshable {
  passportNo: string;
}
export interface PassengerIdPayload extends Refreshable {
  passengerId: number;
}
export interface SamplePayload extends Refreshable {
  count: number;
}
export interface AirportsByCountryPayload extends Refreshable {
  country: string;
  limit: number;
}
export interface IataPayload extends Refreshable {
  iata: string;
}
export interface SearchPayload extends Refreshable {
  from: string;
  to: string;
  /** YYYY-MM-DD (UTC day). */
  date: string;
  /** Sent by the cache-warmer: not a user's search, so it does not count towards popular routes. */
  warm?: boolean;
}
export interface RoundTripPayload extends Refreshable {
  from: string;
  to: string;
  depart: string;
  return: string;
}
export interface LimitPayload {
  limit: number;
}
export interface HubRoutesPayload extends Refreshable {
  airports: string[];
  limit: number;
}
export interface ExplainPayload extends Refreshable {
  name: ExplainableQuery;
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

export interface PassengerSampleEntry {
  passengerId: number;
  passportNo: string;
  firstname: string;
  lastname: string;
  bookings: number;
  /** How the dashboard shows it: `First Last (PASSPORT) - N bookings`. */
  label: string;
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
  from: { iata: string | null; name: string };
  to: { iata: string | null; name: string };
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

export interface FlightOffer {
  flightId: number;
  flightno: string;
  departure: string;
  arrival: string;
  durationMinutes: number;
  airline: { iata: string; name: string | null };
  from: { iata: string | null; name: string };
  to: { iata: string | null; name: string };
  capacity: number;
  bookedSeats: number;
  freeSeats: number;
}

export interface RoundTrip {
  outbound: FlightOffer[];
  return: FlightOffer[];
}

export interface PopularRoute {
  from: string;
  to: string;
  searches: number;
}

export interface HubRoute {
  from: { iata: string | null; name: string };
  to: { iata: string | null; name: string };
  /** Flights operated on the route. */
  flights: number;
  /** Distinct airlines flying it. */
  airlines: number;
  /** Flight numbers in the weekly schedule (flightschedule). */
  scheduled: number;
}

/** Queries whose plan GET /api/queries/:name/explain shows. */
export const EXPLAINABLE_QUERIES = [
  'flight',
  'manifest',
  'seats',
  'passenger_flights',
  'passenger_profile',
  'passenger_sample',
  'airports_by_country',
  'airport',
  'flight_search',
  'hub_routes',
] as const;
export type ExplainableQuery = (typeof EXPLAINABLE_QUERIES)[number];

export interface QueryPlan {
  name: ExplainableQuery;
  engine: 'mysql' | 'postgres';
  sql: string;
  params: unknown[];
  /** The engine's JSON plan (EXPLAIN FORMAT=JSON / EXPLAIN (FORMAT JSON)). */
  plan: unknown;
}
