--[[
  Stores a cache entry and registers it under its tags, unless the entry itself or one of its tags was invalidated
  at or after the moment its load started (fences hold the server time, in µs, of the last invalidation): the
  loaded value may then predate the change, and writing it back would serve stale data.
  KEYS[1]          entry
  KEYS[2]          entry fence (set by delete-fenced.lua)
  KEYS[3..2+n]     tag sets
  KEYS[3+n..2+2n]  tag versions (set by invalidate-tags.lua)
  ARGV[1] value
  ARGV[2] TTL in seconds
  ARGV[3] n, the number of tags
  ARGV[4] server time (µs) the load started; '' = no check (write-through of a value known to be current)
  Returns 1 when stored, 0 when fenced off.
]]
local n = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  local started = tonumber(ARGV[4])
  local fence = redis.call('GET', KEYS[2])
  if fence and tonumber(fence) >= started then return 0 end
  for i = 1, n do
    local invalidated = redis.call('GET', KEYS[2 + n + i])
    if invalidated and tonumber(invalidated) >= started then return 0 end
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 1, n do
  local tagSet = KEYS[2 + i]
  redis.call('SADD', tagSet, KEYS[1])
  if redis.call('TTL', tagSet) < ttl then redis.call('EXPIRE', tagSet, ttl) end
end
return 1
