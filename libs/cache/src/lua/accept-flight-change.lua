--[[
  Accepts a write-behind flight change in one atomic step: numbers it among the flight's changes (the order the
  database gets them in), records it as the flight's latest pending change (the query-service lays it over what
  it loads from the database until the flusher has written it), records its status, appends it to the stream the
  flushers read, shows it in the cached flight entry at once (when there is one) and fences that entry, so a load
  of the flight that started before this change does not store the old times.
  KEYS[1] the flight's change counter, KEYS[2] its pending hash, KEYS[3] the change's status hash, KEYS[4] stream,
  KEYS[5] the cached flight (JSON), KEYS[6] its fence, KEYS[7] totals hash
  ARGV[1] reference, ARGV[2] flight id, ARGV[3] departure (ISO), ARGV[4] arrival (ISO), ARGV[5] duration (min),
  ARGV[6] comment ('' = none), ARGV[7] accepted at (ISO), ARGV[8] fence TTL in seconds
  Returns the change's sequence number.
]]
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'seq', seq, 'departure', ARGV[3], 'arrival', ARGV[4], 'durationMinutes', ARGV[5])
redis.call('HSET', KEYS[3], 'reference', ARGV[1], 'status', 'pending', 'flightId', ARGV[2], 'seq', seq,
  'departure', ARGV[3], 'arrival', ARGV[4], 'comment', ARGV[6], 'acceptedAt', ARGV[7])
redis.call('XADD', KEYS[4], '*', 'reference', ARGV[1], 'flightId', ARGV[2], 'seq', seq, 'departure', ARGV[3],
  'arrival', ARGV[4], 'comment', ARGV[6], 'acceptedAt', ARGV[7])
local raw = redis.call('GET', KEYS[5])
if raw and string.sub(raw, 1, 1) == '{' then
  local flight = cjson.decode(raw)
  flight.departure = ARGV[3]
  flight.arrival = ARGV[4]
  flight.durationMinutes = tonumber(ARGV[5])
  redis.call('SET', KEYS[5], cjson.encode(flight), 'KEEPTTL')
end
--- @include "server-time-us"
redis.call('SET', KEYS[6], now, 'EX', ARGV[8])
redis.call('HINCRBY', KEYS[7], 'accepted', 1)
return seq
