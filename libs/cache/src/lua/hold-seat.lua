--[[
  Write-through, before the database insert: hold the seat so no write-behind booking can take it meanwhile.
  The model of every seat script: the seat bitmap and counters are a cache with a TTL (bit 1 = booked in the
  database, reserved by a write-behind booking, or held by a write-through insert in flight); the pending hash
  (no TTL) is the state of record for what the database does not know yet: seatIndex -> write-behind reference,
  or "hold:<expiresAtMs>:<token>" for a write-through insert. Its field "version" counts committed seat changes.
  KEYS[1] seat map, KEYS[2] counters, KEYS[3] pending
  ARGV[1] seat index, ARGV[2] hold ms, ARGV[3] the caller's token (to read the hold back if the reply is lost)
  Returns {'OK', holdValue} | {'TAKEN'} | {'NOMAP'}.
]]
--- @include "seat-state"
local state = seatState(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if state then return {state} end
local hold = 'hold:' .. (nowMs + tonumber(ARGV[2])) .. ':' .. ARGV[3]
take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], hold)
return {'OK', hold}
