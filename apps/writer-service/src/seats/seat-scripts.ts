/**
 * Seat inventory scripts. Each runs atomically on the cache server, so "is the seat free?" and "take it" are one
 * step for every process. The model:
 * - seat bitmap (Keys.seatMap, bit = seatIndex) and counters (Keys.seatCounters {capacity, booked, available})
 *   are a cache with a TTL: bit 1 = booked in the database, reserved by a write-behind booking, or held by a
 *   write-through insert in flight;
 * - the pending hash (DurableWriteKeys.pendingSeats, no TTL) is the state of record for what the database does not
 *   know yet: seatIndex -> write-behind reference, or "hold:<expiresAtMs>" for a write-through insert. Its field
 *   "version" counts committed seat changes, so a rebuild that read the database before a change is refused.
 * Every script that takes a seat checks both, so a bitmap that expired and was rebuilt from the database alone
 * can never hand out a seat a pending booking holds.
 */

/** Shared prelude: server time and the "can this seat be taken?" check. */
const SEAT_STATE = `
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function seatState(seatMap, counters, pending, idx)
  if redis.call('EXISTS', seatMap) == 0 then return 'NOMAP' end
  local held = redis.call('HGET', pending, idx)
  if held then
    local expires = string.match(held, '^hold:(%d+)$')
    if expires and tonumber(expires) < nowMs then
      -- A write-through that never finished: its row may or may not be in the database. Drop the hold and the
      -- cached map so the caller rebuilds it from the database, which knows.
      redis.call('HDEL', pending, idx)
      redis.call('DEL', seatMap, counters)
      return 'NOMAP'
    end
    return 'TAKEN'
  end
  if redis.call('GETBIT', seatMap, idx) == 1 then return 'TAKEN' end
  return nil
end
local function take(seatMap, counters, pending, idx, value)
  redis.call('SETBIT', seatMap, idx, 1)
  redis.call('HSET', pending, idx, value)
  if redis.call('EXISTS', counters) == 1 then
    redis.call('HINCRBY', counters, 'booked', 1)
    redis.call('HINCRBY', counters, 'available', -1)
  end
end
`;

/**
 * Write-through, before the database insert: hold the seat so no write-behind booking can take it meanwhile.
 * KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending; ARGV[1]=seat index, ARGV[2]=hold ms.
 * Returns {'OK', holdValue} | {'TAKEN'} | {'NOMAP'}.
 */
export const HOLD_SEAT = `${SEAT_STATE}
local state = seatState(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if state then return {state} end
local hold = 'hold:' .. (nowMs + tonumber(ARGV[2]))
take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], hold)
return {'OK', hold}`;

/**
 * Write-through, after the commit: the database knows the seat now; drop the hold (the bit stays) and count the
 * change. KEYS[1]=pending; ARGV[1]=seat index, ARGV[2]=hold value.
 */
export const COMMIT_HOLD = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1`;

/**
 * Write-through, after a failed insert: give the seat back (only if the hold is still ours).
 * KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending; ARGV[1]=seat index, ARGV[2]=hold value.
 */
export const RELEASE_HOLD = `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('SETBIT', KEYS[1], ARGV[1], 0) == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'booked', -1)
  redis.call('HINCRBY', KEYS[2], 'available', 1)
end
return 1`;

/**
 * Write-behind: reserve the seat, record the booking under its reference and append it to the stream, in one
 * step. KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending, KEYS[4]=booking status, KEYS[5]=stream;
 * ARGV[1]=seat index, ARGV[2]=reference, ARGV[3..]=field/value pairs of the booking.
 * Returns {'OK', streamId} | {'TAKEN'} | {'NOMAP'}.
 */
export const RESERVE_WRITE_BEHIND = `${SEAT_STATE}
local state = seatState(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if state then return {state} end
take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[4], 'status', 'pending', unpack(fields))
local id = redis.call('XADD', KEYS[5], '*', unpack(fields))
return {'OK', id}`;

/**
 * Cancellation, after the commit: free the seat. KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending;
 * ARGV[1]=seat index ('' for a booking without a seat on the map).
 */
export const RELEASE_SEAT = `
redis.call('HINCRBY', KEYS[3], 'version', 1)
local freed = 0
if ARGV[1] == '' then
  freed = 1
elseif redis.call('EXISTS', KEYS[1]) == 1 and not redis.call('HGET', KEYS[3], ARGV[1]) then
  freed = redis.call('SETBIT', KEYS[1], ARGV[1], 0)
end
if freed == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'booked', -1)
  redis.call('HINCRBY', KEYS[2], 'available', 1)
end
return freed`;

/**
 * Flusher, after the batch is committed: per booking, drop its pending reservation and record the outcome.
 * A refused booking also drops the flight's cached map and counters: the database decides who has the seat.
 * KEYS (4 per booking): status, pending, seat map, counters. ARGV[1]=status TTL s, then 5 per booking:
 * seat index, reference, 'persisted' | 'failed', booking id | reason, time (ISO).
 */
export const FINALIZE_WRITE_BEHIND = `
local ttl = tonumber(ARGV[1])
local n = #KEYS / 4
for i = 0, n - 1 do
  local status, pending, seatMap, counters = KEYS[4 * i + 1], KEYS[4 * i + 2], KEYS[4 * i + 3], KEYS[4 * i + 4]
  local idx, ref, outcome, detail, at = ARGV[5 * i + 2], ARGV[5 * i + 3], ARGV[5 * i + 4], ARGV[5 * i + 5], ARGV[5 * i + 6]
  if redis.call('HGET', pending, idx) == ref then redis.call('HDEL', pending, idx) end
  redis.call('HINCRBY', pending, 'version', 1)
  if outcome == 'persisted' then
    redis.call('HSET', status, 'status', 'persisted', 'bookingId', detail, 'persistedAt', at)
  else
    redis.call('HSET', status, 'status', 'failed', 'reason', detail, 'failedAt', at)
    redis.call('DEL', seatMap, counters)
  end
  redis.call('EXPIRE', status, ttl)
end
return n`;
