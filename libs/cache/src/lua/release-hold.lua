--[[
  Write-through, after a failed insert: give the seat back (only if the hold is still ours).
  KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending; ARGV[1]=seat index, ARGV[2]=hold value.
  
]]
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('SETBIT', KEYS[1], ARGV[1], 0) == 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'booked', -1)
  redis.call('HINCRBY', KEYS[2], 'available', 1)
end
return 1
