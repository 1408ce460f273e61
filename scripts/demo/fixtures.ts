import { seatName } from '@app/contracts';
import type { FlightDetails, PassengerSampleEntry, QueryPlan, SeatAvailability } from '@app/contracts';
import type { BookingView, CancelledBooking } from '@app/contracts';
import { GatewayClient, GatewayError, payload } from './http';

/** Inputs the demos need, found through the public API (any seeded dataset works, nothing is hard-coded). */

export async function samplePassengers(client: GatewayClient, count = 10): Promise<PassengerSampleEntry[]> {
  const env = await client.read<PassengerSampleEntry[]>(`/api/passengers/sample?count=${count}`);
  if (env.data.length === 0)
    throw new Error('The database has no passengers with bookings: seed it first (npm run db:seed)');
  return env.data;
}

export async function flightDetails(client: GatewayClient, flightId: number): Promise<FlightDetails> {
  try {
    return (await client.read<FlightDetails>(`/api/flights/${flightId}`)).data;
  } catch (e) {
    if (e instanceof GatewayError && e.status === 404) {
      throw new Error(
        `Flight ${flightId} does not exist in this database: pass another one with --flight-id`,
        { cause: e },
      );
    }
    throw e;
  }
}

/** Free seats of a flight, in seat order, from the seat map (fresh from the database, not a possibly old entry). */
export async function freeSeats(client: GatewayClient, flightId: number): Promise<string[]> {
  const seats = (await client.read<SeatAvailability>(`/api/flights/${flightId}/seats`, { refresh: true }))
    .data;
  const taken = new Set(seats.bookedSeats);
  const free: string[] = [];
  for (let i = 0; i < seats.capacity; i++) {
    const name = seatName(i, seats.capacity);
    if (!taken.has(name)) free.push(name);
  }
  return free;
}

/** The SQL a named query runs on the active engine (GET /api/queries/:name/explain), or null if unavailable. */
export async function querySql(client: GatewayClient, name: string): Promise<QueryPlan | null> {
  try {
    return (await client.read<QueryPlan>(`/api/queries/${name}/explain`)).data;
  } catch {
    return null;
  }
}

export async function bookWriteThrough(
  client: GatewayClient,
  body: { flightId: number; passengerId: number; seat: string; price: number },
): Promise<BookingView> {
  const reply = await client.post<unknown>('/api/bookings', { ...body, mode: 'write-through' });
  return payload<BookingView>(reply.body);
}

export async function cancelBooking(client: GatewayClient, bookingId: number): Promise<CancelledBooking> {
  return payload<CancelledBooking>((await client.delete<unknown>(`/api/bookings/${bookingId}`)).body);
}

/** An airport's code as people read it: IATA, or ICAO for an airport that has none. */
export function airportCode(a: { iata: string | null; icao?: string | null }): string {
  return a.iata ?? a.icao ?? '?';
}

/**
 * Upcoming flights (the only ones that can be booked) from firstFlight on, in id order. Departed ones are passed in
 * growing steps: ids roughly follow departure times, so the upcoming ones may start thousands of ids after the
 * first flight (the guided flight 115 is upcoming, its neighbours have flown). Ends after 50 misses in a row.
 */
export async function* upcomingFlights(client: GatewayClient, firstFlight: number): AsyncGenerator<number> {
  let step = 1;
  let misses = 0;
  for (let id = firstFlight; misses < 50; id += step) {
    if (await isUpcoming(client, id)) {
      misses = 0;
      step = 1;
      yield id;
    } else {
      misses++;
      step = Math.min(step * 2, 1024);
    }
  }
}

/** Whether a flight has yet to depart (a departed flight cannot be booked: 422); false for an unknown one. */
export async function isUpcoming(client: GatewayClient, flightId: number): Promise<boolean> {
  try {
    return (await client.read<FlightDetails>(`/api/flights/${flightId}`)).data.status === 'upcoming';
  } catch (e) {
    if (e instanceof GatewayError && e.status === 404) return false;
    throw e;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
