--[[
  Cancellation, after the commit: free the seat. KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending;
  ARGV[1]=seat index ('' for a booking without a seat on the map).
  
]]
redis.call('HINCRBY', KEYS[3], 'version', 1)
local freed = 0
if ARGV[1] == '' then
  freed = 1
elseif redis.call('EXISTS', KEYS[1]) == 1 and not redis.call('HGET', KEYS[3], ARGV[1]) then
  freed = redis.call('SETBIT', KEYS[1], ARGV[1], 0)
end
if freed == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'booked', -1)
  redis.call('HINCRBY', KEYS[2], 'available', 1)
end
return freed
