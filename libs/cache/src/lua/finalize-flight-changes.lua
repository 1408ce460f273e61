--[[
  Flusher, after a batch of flight changes is committed: records each change's outcome, drops a flight's pending
  hash once the database has its latest accepted change (a newer one accepted meanwhile keeps it), and adds the
  batch to the totals (changes persisted, UPDATE statements run).
  KEYS[1] totals hash, then per change: status hash; then per flight: pending hash
  ARGV[1] status TTL s, ARGV[2] changes n, ARGV[3] flights m, ARGV[4] time (ISO), ARGV[5] UPDATEs run,
  ARGV[6] changes in the batch, then per change: 'persisted' | 'failed', reason ('' = none);
  then per flight: the highest seq the database has
  Returns n.
]]
local ttl = tonumber(ARGV[1])
local n, m = tonumber(ARGV[2]), tonumber(ARGV[3])
local persisted, failed = 0, 0
for i = 1, n do
  local status = KEYS[1 + i]
  local outcome, reason = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  if outcome == 'persisted' then
    persisted = persisted + 1
    redis.call('HSET', status, 'status', 'persisted', 'persistedAt', ARGV[4], 'batchChanges', ARGV[6],
      'batchUpdates', ARGV[5])
  else
    failed = failed + 1
    redis.call('HSET', status, 'status', 'failed', 'reason', reason, 'failedAt', ARGV[4])
  end
  redis.call('EXPIRE', status, ttl)
end
for j = 1, m do
  local pending = KEYS[1 + n + j]
  local seq = tonumber(redis.call('HGET', pending, 'seq') or '0')
  if seq <= tonumber(ARGV[6 + 2 * n + j]) then redis.call('DEL', pending) end
end
redis.call('HINCRBY', KEYS[1], 'persisted', persisted)
redis.call('HINCRBY', KEYS[1], 'failed', failed)
redis.call('HINCRBY', KEYS[1], 'updates', tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[1], 'batches', 1)
return n
