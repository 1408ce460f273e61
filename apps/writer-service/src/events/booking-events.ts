import { BookingCancelledEvent, BookingCreatedEvent, EVENTS, FlightUpdatedEvent } from '@app/contracts';
import { PendingEvent } from './event-publisher';

/** The day of a departure (UTC) as route/day tags and searches use it. */
export function departureDay(isoDeparture: string): string {
  return isoDeparture.slice(0, 10);
}

export function bookingCreated(e: BookingCreatedEvent): PendingEvent<'booking.created'> {
  return { name: EVENTS.bookingCreated, payload: e, id: e.bookingId };
}

export function bookingCancelled(e: BookingCancelledEvent): PendingEvent<'booking.cancelled'> {
  return { name: EVENTS.bookingCancelled, payload: e, id: e.bookingId };
}

/** Versioned by the moment of the change: every update of a flight is an event of its own. */
export function flightUpdated(e: FlightUpdatedEvent): PendingEvent<'flight.updated'> {
  return { name: EVENTS.flightUpdated, payload: e, id: e.flightId, version: Date.parse(e.occurredAt) };
}
