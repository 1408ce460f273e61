--[[
  Replaces a cache entry kept as Valkey data structures (a hash and a sorted set, say) and registers it under its
  tags, unless one of its keys or tags was invalidated while it loaded (same rule as set-with-tags.lua).
  KEYS[1..e]              the structure's keys
  KEYS[e+1..2e]           their fences
  KEYS[2e+1..2e+n]        tag sets
  KEYS[2e+n+1..2e+2n]     tag versions
  ARGV[1] e, ARGV[2] n, ARGV[3] TTL in seconds, ARGV[4] server time (µs) the load started
  ARGV[5] the writes as JSON: [[command, index of the key (0-based), args...], ...]
  ARGV[6] optional: a field of the first key (a hash) stamped with the server time of this store, so a write can
          later tell that the entry was read from the database before the write began (see
          apply-booking-to-profile.lua)
  Returns 1 when stored, 0 when fenced off.
]]
local e = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local started = tonumber(ARGV[4])
for i = e + 1, 2 * e + 2 * n do
  if i <= 2 * e or i > 2 * e + n then
    local fence = redis.call('GET', KEYS[i])
    if fence and tonumber(fence) >= started then return 0 end
  end
end
for i = 1, e do redis.call('DEL', KEYS[i]) end
for _, c in ipairs(cjson.decode(ARGV[5])) do
  redis.call(c[1], KEYS[c[2] + 1], unpack(c, 3))
end
--- @include "server-time-us"
if ARGV[6] and ARGV[6] ~= '' then redis.call('HSET', KEYS[1], ARGV[6], now) end
for i = 1, e do redis.call('EXPIRE', KEYS[i], ttl) end
for i = 1, n do
  local tagSet = KEYS[2 * e + i]
  for k = 1, e do redis.call('SADD', tagSet, KEYS[k]) end
  if redis.call('TTL', tagSet) < ttl then redis.call('EXPIRE', tagSet, ttl) end
end
return 1
