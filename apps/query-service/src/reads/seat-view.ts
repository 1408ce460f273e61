import { PENDING_VERSION_FIELD, SeatMapKeys, ValkeyClient, buildSeatMap } from '@app/cache';
import { seatIndex, seatName } from '@app/contracts';
import { SeatAvailability } from '@app/contracts';
import { SeatRows } from './reads.repository';
import { StoreContext } from './structured-cache';

/**
 * The seat map the read path shows is the structure the writer-service books against (see
 * libs/cache/src/lua/build-seat-map.lua): besides the database's bookings it holds the seats the database does not have yet, so a rebuild
 * from the database alone would show pending seats as free.
 */
/** Prefixed: seat map, counters, pending hash, flight tag set and version, the seat map's fence. */
export type SeatViewKeys = SeatMapKeys;

export function seatViewFromRows(flightId: number, rows: SeatRows): SeatAvailability {
  const booked = rows.seats.length;
  return {
    flightId,
    capacity: rows.capacity,
    booked,
    available: Math.max(0, rows.capacity - booked),
    bookedSeats: bookedIndexes(rows).map((i) => seatName(i, rows.capacity)),
  };
}

export async function pendingVersion(c: ValkeyClient, pendingKey: string): Promise<string> {
  return (await c.hget(pendingKey, PENDING_VERSION_FIELD)) ?? '0';
}

export async function storeSeatView(
  c: ValkeyClient,
  keys: SeatViewKeys,
  rows: SeatRows | null,
  ctx: StoreContext,
): Promise<boolean> {
  if (rows === null) {
    // Unknown flight: a short-lived marker in the counters hash (the writer answers 404 before touching seats).
    await c
      .multi()
      .del(keys.counters)
      .hset(keys.counters, 'found', '0')
      .expire(keys.counters, ctx.ttl)
      .exec();
    return true;
  }
  const ok = await buildSeatMap(c, keys, {
    capacity: rows.capacity,
    bookings: rows.seats.length,
    indexes: bookedIndexes(rows),
    pendingVersion: ctx.guard,
    ttl: ctx.ttl,
    loadStartedUs: ctx.loadStartedUs,
    mode: 'replace',
  });
  return ok === 1;
}

function bookedIndexes(rows: SeatRows): number[] {
  const indexes = rows.seats
    .map((s) => (s === null ? null : seatIndex(s.trim(), rows.capacity)))
    .filter((i): i is number => i !== null);
  return [...new Set(indexes)].sort((a, b) => a - b);
}
