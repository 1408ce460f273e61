--[[
  Flusher, after the batch is committed: per booking, drop its pending reservation and record the outcome.
  A refused booking also drops the flight's cached map and counters: the database decides who has the seat.
  KEYS (4 per booking): status, pending, seat map, counters. ARGV[1]=status TTL s, then 5 per booking:
  seat index, reference, 'persisted' | 'failed', booking id | reason, time (ISO).
  
]]
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
return n
