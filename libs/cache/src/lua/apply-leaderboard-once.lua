--[[
  Applies an event's +1 / -1 to the airport traffic leaderboard (both airports) and to the passenger activity
  ranking exactly once: the "applied" marker (SET NX) and the increments are one atomic step, so a replayed event
  changes nothing more.
  KEYS[1] marker, KEYS[2] airport board, KEYS[3] passenger board
  ARGV[1] marker TTL in seconds, ARGV[2] delta, ARGV[3] from IATA, ARGV[4] to IATA, ARGV[5] passenger member
  Returns 1 when applied now, 0 when it had been applied before.
]]
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZINCRBY', KEYS[3], ARGV[2], ARGV[5])
return 1
