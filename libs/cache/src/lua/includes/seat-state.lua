--[[
  Shared by the seat scripts that take a seat: the server time and the "can this seat be taken?" check.
  A seat is taken when the pending hash holds it (a write-behind reservation or a live write-through hold) or its
  bit is set in the seat map. A write-through hold that expired may or may not be in the database: it is dropped
  with the cached map, so the caller rebuilds the map from the database, which knows.
]]
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function seatState(seatMap, counters, pending, idx)
  if redis.call('EXISTS', seatMap) == 0 then return 'NOMAP' end
  local held = redis.call('HGET', pending, idx)
  if held then
    local expires = string.match(held, '^hold:(%d+)')
    if expires and tonumber(expires) < nowMs then
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
