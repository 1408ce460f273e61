--[[
  One request of a logged-in session, atomically: checks the session exists, applies the request's change to it,
  and starts its sliding lifetime again (EXPIRE on each of its keys). The basket is a set (SADD / SREM), so two
  tabs changing it at the same moment lose nothing.
  KEYS[1] session hash, KEYS[2] basket (set of flight ids), KEYS[3] recent weather lookups (list of JSON)
  ARGV[1] TTL in seconds, ARGV[2] now (ISO), ARGV[3] op: touch | basket-add | basket-remove | weather,
  ARGV[4] the flight id (basket-*) or the lookup's JSON (weather), ARGV[5] the cap (basket size, lookups kept)
  Returns nil when there is no such session (expired, logged out, never existed); else
  {session hash as [field, value, ...], basket members, weather lookups, status} with status "ok" or "full"
  (the basket already holds ARGV[5] flights).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local ttl = tonumber(ARGV[1])
local op = ARGV[3]
local status = 'ok'
if op == 'basket-add' then
  if redis.call('SISMEMBER', KEYS[2], ARGV[4]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[5]) then
    status = 'full'
  else
    redis.call('SADD', KEYS[2], ARGV[4])
  end
elseif op == 'basket-remove' then
  redis.call('SREM', KEYS[2], ARGV[4])
elseif op == 'weather' then
  redis.call('LPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[2])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ttl) end
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('SMEMBERS', KEYS[2]),
  redis.call('LRANGE', KEYS[3], 0, -1),
  status,
}
