--[[
  The server's time in µs, the stamp of an invalidation (fences and tag versions hold it; a load that started
  at or before it does not store its result).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
