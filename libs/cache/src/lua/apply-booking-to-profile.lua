--[[
  Keeps a cached passenger profile warm after a committed booking, as the workshop's guide does
  (HINCRBY … totalFlights 1, ZINCRBY … routes 1 "JFK-LAX"), instead of dropping it.
  The booking is added in place only to an entry read from the database before the booking's transaction began
  (its stamp, written by store-structure.lua, is older than ARGV[1]): such an entry cannot already count it. Any
  other entry (stamped later, partial, "not found", or missing) is deleted. Either way both fences are stamped, so
  a load in flight — which may or may not have seen the booking — does not store its result over this one.
  KEYS[1] profile hash   KEYS[2] routes sorted set   KEYS[3] fence of KEYS[1]   KEYS[4] fence of KEYS[2]
  ARGV[1] server time (µs) before the booking's transaction began
  ARGV[2] price in cents   ARGV[3] route member ("FROM-TO")   ARGV[4] airline id
  ARGV[5] departure airport id   ARGV[6] arrival airport id   ARGV[7] TTL of a fence in seconds
  Returns 1 when the profile was updated in place, 0 when it was dropped (or was not cached).
]]
--- @include "server-time-us"
local profile, routes = KEYS[1], KEYS[2]
local stamp = redis.call('HGET', profile, 'storedAtUs')
local fresh = stamp and tonumber(stamp) < tonumber(ARGV[1]) and redis.call('HGET', profile, 'found') ~= '0'
local airlines = redis.call('HGET', profile, 'airlineIds')
local airports = redis.call('HGET', profile, 'airportIds')
redis.call('SET', KEYS[3], now, 'EX', ARGV[7])
redis.call('SET', KEYS[4], now, 'EX', ARGV[7])
if not (fresh and airlines and airports) then
  redis.call('UNLINK', profile, routes)
  return 0
end

-- Id lists are kept as ",1,5,9," so membership is one plain find.
local function addId(list, counter, id)
  if string.find(list, ',' .. id .. ',', 1, true) then return list end
  redis.call('HINCRBY', profile, counter, 1)
  return list .. id .. ','
end
local ttl = redis.call('PTTL', profile)
redis.call('HINCRBY', profile, 'totalFlights', 1)
local cents = math.floor(tonumber(redis.call('HGET', profile, 'totalSpent') or '0') * 100 + 0.5) + tonumber(ARGV[2])
redis.call('HSET', profile, 'totalSpent', string.format('%d.%02d', math.floor(cents / 100), cents % 100))
redis.call('HSET', profile, 'airlineIds', addId(airlines, 'airlinesUsed', ARGV[4]))
airports = addId(airports, 'airportsVisited', ARGV[5])
redis.call('HSET', profile, 'airportIds', addId(airports, 'airportsVisited', ARGV[6]))
redis.call('ZINCRBY', routes, 1, ARGV[3])
-- A passenger with no bookings had no routes key: the new one lives as long as the profile.
if ttl > 0 then redis.call('PEXPIRE', routes, ttl) end
return 1
