--[[
  Write-behind: reserve the seat, record the booking under its reference and append it to the stream, in one
  step. KEYS[1]=seat map, KEYS[2]=counters, KEYS[3]=pending, KEYS[4]=booking status, KEYS[5]=stream;
  ARGV[1]=seat index, ARGV[2]=reference, ARGV[3..]=field/value pairs of the booking.
  Returns {'OK', streamId} | {'TAKEN'} | {'NOMAP'}.
  
]]
--- @include "seat-state"
local state = seatState(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if state then return {state} end
take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[4], 'status', 'pending', unpack(fields))
local id = redis.call('XADD', KEYS[5], '*', unpack(fields))
return {'OK', id}
