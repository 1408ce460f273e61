--[[
  Invalidates entries by key: deletes them and stamps each one's fence with the server time, so a load of the
  same key that started before this moment does not write its result back (set-with-tags.lua and
  store-structure.lua check the fence).
  KEYS[1..n]     entries
  KEYS[n+1..2n]  their fences
  ARGV[1] n, the number of entries
  ARGV[2] TTL of a fence in seconds (longer than any load can take)
  Returns the number of entries deleted.
]]
local n = tonumber(ARGV[1])
--- @include "server-time-us"
local deleted = 0
for i = 1, n do
  deleted = deleted + redis.call('UNLINK', KEYS[i])
  redis.call('SET', KEYS[n + i], now, 'EX', ARGV[2])
end
return deleted
