--[[
  Write-through, after the commit: the database knows the seat now; drop the hold (the bit stays) and count the
  change. KEYS[1]=pending; ARGV[1]=seat index, ARGV[2]=hold value.
  
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1
