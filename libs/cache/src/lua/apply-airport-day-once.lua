--[[
  Applies a booking event's +1 / -1 to the passengers board of its flight's day (both airports) exactly once: the
  "applied" marker (SET NX) and the increments are one atomic step, so a replayed event changes nothing more.
  The board (a sorted set built from the database on a miss) is changed only when it exists and was built before
  the booking (its snapshot did not count it yet). When it does not exist, a build may be loading right now from
  a snapshot that misses this booking: the board's fence is stamped, so that build does not store (the next one
  counts the booking).
  KEYS[1] marker, KEYS[2] passengers board (sorted set), KEYS[3] its names hash (field builtAt: ms),
  KEYS[4] the board's fence
  ARGV[1] marker TTL in seconds, ARGV[2] delta, ARGV[3] from code, ARGV[4] to code,
  ARGV[5] the booking's time (ms since the epoch), ARGV[6] fence TTL in seconds
  Returns 1 when applied to the board, 2 when there was no board (fenced), 3 when the board already counted it,
  0 when the event had been applied before.
]]
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local built = redis.call('HGET', KEYS[3], 'builtAt')
--- @include "server-time-us"
if not built then
  redis.call('SET', KEYS[4], now, 'EX', ARGV[6])
  return 2
end
if tonumber(built) >= tonumber(ARGV[5]) then return 3 end
for _, code in ipairs({ ARGV[3], ARGV[4] }) do
  local score = tonumber(redis.call('ZINCRBY', KEYS[2], ARGV[2], code))
  if score <= 0 then redis.call('ZREM', KEYS[2], code) end
end
return 1
