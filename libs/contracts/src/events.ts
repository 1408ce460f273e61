/**
 * Domain events published on BullMQ by the writer-service and consumed by the cache-warmer.
 * Names, queue names and payloads are defined here once.
 */
export const QUEUES = {
  /** booking.created, booking.cancelled, flight.updated */
  events: 'cmiyc-events',
  /** Scheduled and on-demand warming jobs. */
  warming: 'cmiyc-warming',
} as const;

export const EVENTS = {
  bookingCreated: 'booking.created',
  bookingCancelled: 'booking.cancelled',
  flightUpdated: 'flight.updated',
} as const;
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

interface EventBase {
  /** ISO time the change was committed (invalidation lag = keys gone - this). */
  occurredAt: string;
  /**
   * Tags the publisher already invalidated before it answered (write-through: read-your-writes). Consumers skip
   * them, so they do not drop entries that were re-cached since (a moved flight is loaded again at once).
   */
  invalidatedTags?: string[];
}

export interface BookingCreatedEvent extends EventBase {
  bookingId: number;
  reference: string | null;
  flightId: number;
  passengerId: number;
  passportNo: string;
  seat: string;
  price: string;
  fromIata: string;
  toIata: string;
  /** YYYY-MM-DD of the flight's departure (UTC): the route/day tag. */
  departureDate: string;
  mode: 'write-through' | 'write-behind';
}

export interface BookingCancelledEvent extends EventBase {
  bookingId: number;
  flightId: number;
  passengerId: number;
  passportNo: string;
  seat: string;
  fromIata: string;
  toIata: string;
  departureDate: string;
}

export interface FlightUpdatedEvent extends EventBase {
  flightId: number;
  fromIata: string;
  toIata: string;
  /** Both the old and the new day: a moved flight leaves one search and joins another. */
  departureDates: string[];
}

export interface EventPayloads {
  'booking.created': BookingCreatedEvent;
  'booking.cancelled': BookingCancelledEvent;
  'flight.updated': FlightUpdatedEvent;
}

/** BullMQ job names of the warming queue (scheduled by job schedulers in the cache-warmer). */
export const WARMING_JOBS = {
  topRoutes: 'warm.top-routes',
  activePassengers: 'warm.active-passengers',
} as const;

/**
 * BullMQ job id that makes a replayed event a no-op (BullMQ ignores an add with an existing id).
 * BullMQ refuses custom ids with ':' in them, hence '-'.
 */
export function eventJobId(name: EventName, id: string | number, version?: string | number): string {
  return version === undefined ? `${name}-${id}` : `${name}-${id}-${version}`;
}
