import { PENDING_VERSION_FIELD, ValkeyClient, seatIndex, seatName } from '@app/common';
import { SeatAvailability } from '@app/common/dto/reads';
import { SeatRows } from './reads.repository';
import { StoreContext } from './structured-cache';

/**
 * The seat map the read path shows is the same structure the writer-service books against: bitmap Keys.seatMap
 * (bit seatIndex = taken) and hash Keys.seatCounters {capacity, booked, available}. Besides the database's
 * bookings it holds the seats of bookings the database does not have yet (write-behind reservations and
 * write-through holds in DurableWriteKeys.pendingSeats), so a rebuild merges those and is refused when a seat
 * change was committed after the database was read (the pending hash's "version"), like the writer's own rebuild.
 */
export const BUILD_SEAT_VIEW = `
if (redis.call('HGET', KEYS[3], 'version') or '0') ~= ARGV[3] then return 0 end
local invalidated = redis.call('GET', KEYS[5])
if invalidated and tonumber(invalidated) >= tonumber(ARGV[4]) then return 0 end
local capacity = tonumber(ARGV[1])
local booked = tonumber(ARGV[2])
local ttl = tonumber(ARGV[5])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SETBIT', KEYS[1], capacity - 1, 0)
for i = 6, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
local pending = redis.call('HGETALL', KEYS[3])
for i = 1, #pending, 2 do
  if pending[i] ~= 'version' and redis.call('SETBIT', KEYS[1], pending[i], 1) == 0 then booked = booked + 1 end
end
redis.call('HSET', KEYS[2], 'capacity', capacity, 'booked', booked, 'available', math.max(0, capacity - booked))
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[4], KEYS[1], KEYS[2])
if redis.call('TTL', KEYS[4]) < ttl then redis.call('EXPIRE', KEYS[4], ttl) end
return 1`;

export interface SeatViewKeys {
  /** Prefixed: seat map, counters, pending hash, flight tag set, flight tag version. */
  seatMap: string;
  counters: string;
  pending: string;
  tagSet: string;
  tagVersion: string;
}

/** Reads counters + bitmap in one round trip; a partial structure (evicted bitmap) is a miss. */
export async function readSeatView(
  c: ValkeyClient,
  countersKey: string,
  mapKey: string,
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
  const ok = await c.eval(
    BUILD_SEAT_VIEW,
    5,
    keys.seatMap,
    keys.counters,
    keys.pending,
    keys.tagSet,
    keys.tagVersion,
    String(rows.capacity),
    String(rows.seats.length),
    ctx.guard,
    ctx.loadStartedMs,
    String(ctx.ttl),
    ...bookedIndexes(rows).map(String),
  );
  return ok === 1;
}

function bookedIndexes(rows: SeatRows): number[] {
  const indexes = rows.seats
    .map((s) => (s === null ? null : seatIndex(s.trim(), rows.capacity)))
    .filter((i): i is number => i !== null);
  return [...new Set(indexes)].sort((a, b) => a - b);
}
