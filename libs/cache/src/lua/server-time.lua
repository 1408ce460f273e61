--[[
  The clock of the server that holds KEYS[1], in µs: a load's start, compared later with fences and tag versions
  stamped by the same server (on a cluster, the shard's master; TIME alone would go to any node).
  KEYS[1] any key of the shard (not read)
]]
--- @include "server-time-us"
return now
