--[[
  Builds a flight's seat map (used by the query-service on a read miss and by the writer-service before taking a
  seat): bitmap (bit seatIndex = taken) and counters {capacity, booked, available}, from the database's booked
  seats plus every seat the database does not know yet (the pending hash: write-behind reservations and
  write-through holds). Refused (returns 0: read the database again) when a seat change was committed after the
  caller read the database (the pending hash's "version" moved) or, for a read, when the flight's tag or the
  map's key was invalidated after the load began.
  KEYS[1] seat map, KEYS[2] counters, KEYS[3] pending, KEYS[4] flight tag set, KEYS[5] flight tag version,
  KEYS[6] seat map fence
  ARGV[1] capacity, ARGV[2] bookings in the database (seatless ones included), ARGV[3] pending version seen before
  reading the database, ARGV[4] TTL in seconds, ARGV[5] load start (server µs; '' = no tag check),
  ARGV[6] 'keep' (leave an existing map alone) or 'replace', ARGV[7..] seat indexes booked in the database
  Returns 1 when built (or kept), 0 when refused.
]]
if ARGV[6] == 'keep' and redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if (redis.call('HGET', KEYS[3], 'version') or '0') ~= ARGV[3] then return 0 end
if ARGV[5] ~= '' then
  local started = tonumber(ARGV[5])
  local invalidated = redis.call('GET', KEYS[5])
  if invalidated and tonumber(invalidated) >= started then return 0 end
  local fence = redis.call('GET', KEYS[6])
  if fence and tonumber(fence) >= started then return 0 end
end
local capacity = tonumber(ARGV[1])
local booked = tonumber(ARGV[2])
local ttl = tonumber(ARGV[4])
redis.call('DEL', KEYS[1], KEYS[2])
-- Size the bitmap first so an empty flight still has a key (and "exists" means "built").
redis.call('SETBIT', KEYS[1], capacity - 1, 0)
for i = 7, #ARGV do redis.call('SETBIT', KEYS[1], ARGV[i], 1) end
local pending = redis.call('HGETALL', KEYS[3])
for i = 1, #pending, 2 do
  if pending[i] ~= 'version' and redis.call('SETBIT', KEYS[1], pending[i], 1) == 0 then booked = booked + 1 end
end
redis.call('HSET', KEYS[2], 'capacity', capacity, 'booked', booked, 'available', math.max(0, capacity - booked))
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[4], KEYS[1], KEYS[2])
if redis.call('TTL', KEYS[4]) < ttl then redis.call('EXPIRE', KEYS[4], ttl) end
return 1
