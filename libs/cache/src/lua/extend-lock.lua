--[[
  Extends a stampede lock only if the caller still owns it (the owner's watchdog, while its loader runs).
  KEYS[1] lock
  ARGV[1] owner token
  ARGV[2] new TTL in ms
  Returns 1 when extended, 0 when the lock expired or belongs to someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
