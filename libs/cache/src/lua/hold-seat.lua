--[[
  Seat inventory scripts. Each runs atomically on the cache server, so "is the seat free?" and "take it" are one
  step for every process. The model:
  - seat bitmap (Keys.seatMap, bit = seatIndex) and counters (Keys.seatCounters {capacity, booked, available})
    are a cache with a TTL: bit 1 = booked in the database, reserved by a write-behind booking, or held by a
    write-through insert in flight;
  - the pending hash (DurableWriteKeys.pendingSeats, no TTL) is the state of record for what the database does not
    know yet: seatIndex -> write-behind reference, or "hold:<expiresAtMs>" for a write-through insert. Its field
    "version" counts committed seat changes, so a rebuild that read the database before a change is refused.
  Every script that takes a seat checks both, so a bitmap that expired and was rebuilt from the database alone
  can never hand out a seat a pending booking holds.
  /
  
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
  Write-through, before the database insert: hold the seat so no write-behind booking can take it meanwhile.
  KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending; ARGV[1]=seat index, ARGV[2]=hold ms.
  Returns {'OK', holdValue} | {'TAKEN'} | {'NOMAP'}.
  
]]
--- @include "seat-state"
local state = seatState(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if state then return {state} end
local hold = 'hold:' .. (nowMs + tonumber(ARGV[2]))
take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], hold)
return {'OK', hold}
