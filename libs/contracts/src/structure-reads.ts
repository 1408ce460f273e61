import type { ValkeyClient } from '@app/cache';
import type { SeatAvailability } from './flight-reads';
import type { PassengerProfile } from './passenger-reads';
import type { PopularRoute } from './search-reads';
import { seatName } from './seats';

/**
 * How reads kept as Valkey data structures are read back: the same code in the query-service (after it built
 * them) and in the gateway (which answers their hits itself, from its near cache or Valkey). Each takes the
 * prefixed keys of its read's `cache.structures` and answers null on a miss (or a partial structure),
 * { value: null } for a cached "not found".
 */

/** Routes of a passenger profile shown (the sorted set keeps them all). */
export const PROFILE_TOP_ROUTES = 5;

/**
 * Fields of the cached profile hash that are not shown but let a booking update it in place
 * (libs/cache/src/lua/apply-booking-to-profile.lua reads them by these names): the server time the entry was
 * stored, and the airline and airport ids flown, as ",1,5,9," lists.
 */
export const PROFILE_FIELDS = {
  storedAt: 'storedAtUs',
  airlineIds: 'airlineIds',
  airportIds: 'airportIds',
} as const;

/** An id list as the profile hash keeps it: ",1,5,9," (membership is one plain substring search in Lua). */
export function profileIdList(ids: number[]): string {
  return `,${ids.join(',')}${ids.length ? ',' : ''}`;
}

/** Counters (hash) + booked seats (bitmap) in one round trip; a partial structure (an evicted bitmap) is a miss. */
export async function readSeatView(
  c: ValkeyClient,
  [countersKey, mapKey]: string[],
  flightId: number,
): Promise<{ value: SeatAvailability | null } | null> {
  const replies = await c.pipeline().hgetall(countersKey).getBuffer(mapKey).exec();
  if (!replies) return null;
  const [[e1, counters], [e2, map]] = replies as [
    [Error | null, Record<string, string>],
    [Error | null, Buffer | null],
  ];
  if (e1 || e2) throw e1 ?? e2;
  if (counters.found === '0') return { value: null };
  if (counters.capacity === undefined || map === null) return null;
  const capacity = Number(counters.capacity);
  const bookedSeats: string[] = [];
  for (let byte = 0; byte < map.length; byte++) {
    if (map[byte] === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      // Bitmaps are big-endian within a byte: offset 0 is the most significant bit.
      const index = byte * 8 + bit;
      if (map[byte] & (0x80 >> bit) && index < capacity) bookedSeats.push(seatName(index, capacity));
    }
  }
  return {
    value: {
      flightId,
      capacity,
      booked: Number(counters.booked),
      available: Number(counters.available),
      bookedSeats,
    },
  };
}

/** Totals (hash) + the most flown routes (sorted set) in one round trip. */
export async function readPassengerProfile(
  c: ValkeyClient,
  [profileKey, routesKey]: string[],
): Promise<{ value: PassengerProfile | null } | null> {
  const replies = await c
    .pipeline()
    .hgetall(profileKey)
    .zrevrange(routesKey, 0, PROFILE_TOP_ROUTES - 1, 'WITHSCORES')
    .exec();
  if (!replies) return null;
  const [[e1, h], [e2, flat]] = replies as [[Error | null, Record<string, string>], [Error | null, string[]]];
  if (e1 || e2) throw e1 ?? e2;
  if (h.found === '0') return { value: null };
  if (h.passengerId === undefined) return null;
  const frequentRoutes = [];
  for (let i = 0; i < flat.length; i += 2)
    frequentRoutes.push({ route: flat[i], flights: Number(flat[i + 1]) });
  return {
    value: {
      passenger: {
        passengerId: Number(h.passengerId),
        passportNo: h.passportNo,
        firstname: h.firstname,
        lastname: h.lastname,
      },
      totalFlights: Number(h.totalFlights),
      totalSpent: Number(h.totalSpent),
      airlinesUsed: Number(h.airlinesUsed),
      airportsVisited: Number(h.airportsVisited),
      frequentRoutes,
    },
  };
}

/** The most searched routes: "FROM:TO" members of a sorted set scored by searches (it lives only in Valkey). */
export async function readPopularRoutes(
  c: ValkeyClient,
  [key]: string[],
  limit: number,
): Promise<{ value: PopularRoute[] }> {
  const flat = await c.zrevrange(key, 0, limit - 1, 'WITHSCORES');
  const routes: PopularRoute[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const [from, to] = flat[i].split(':');
    routes.push({ from, to, searches: Number(flat[i + 1]) });
  }
  return { value: routes };
}
