--[[
  Invalidates tags: deletes every entry registered under them and the tag sets themselves, and stamps each tag's
  version with the server time, so loads that started before this moment do not write their result back.
  KEYS[1..n]     tag sets
  KEYS[n+1..2n]  tag versions
  ARGV[1] n, the number of tags
  ARGV[2] TTL of a tag version in seconds (longer than any load can take)
  Returns the number of entries deleted.
]]
local n = tonumber(ARGV[1])
--- @include "server-time-us"
local deleted = 0
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    deleted = deleted + redis.call('UNLINK', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], now, 'EX', ARGV[2])
end
return deleted
