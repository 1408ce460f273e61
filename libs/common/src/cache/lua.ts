/**
 * The Lua scripts of the cache primitives. Each runs atomically on the server; keys not passed in KEYS (the
 * members of a tag set) are touched too, which standalone Valkey allows (Valkey Cluster would need hash tags).
 */

/** Release a lock only if we still own it (compare-and-delete). KEYS[1]=lock, ARGV[1]=token. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/** Extend a lock only if we still own it. KEYS[1]=lock, ARGV[1]=token, ARGV[2]=ttl ms. */
export const EXTEND_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/**
 * Store a value and register it under its tags, unless one of the tags was invalidated since the loader started
 * (its version moved on): then the loaded value may predate the change and is not cached.
 * KEYS[1]=entry, KEYS[2..1+n]=tag sets, KEYS[2+n..1+2n]=tag versions; ARGV[1]=value, ARGV[2]=ttl s, ARGV[3]=n,
 * ARGV[4..3+n]=versions seen before loading ('' = none yet; '*' = do not check).
 */
export const SET_WITH_TAGS = `
local n = tonumber(ARGV[3])
for i = 1, n do
  local seen = ARGV[3 + i]
  if seen ~= '*' then
    local now = redis.call('GET', KEYS[1 + n + i]) or ''
    if now ~= seen then return 0 end
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 1, n do
  local tagSet = KEYS[1 + i]
  redis.call('SADD', tagSet, KEYS[1])
  local left = redis.call('TTL', tagSet)
  if left < ttl then redis.call('EXPIRE', tagSet, ttl) end
end
return 1`;

/**
 * Invalidate tags: delete every entry registered under them, the tag sets themselves, and bump each tag's version
 * so loads that started before this moment do not write their (possibly stale) result back.
 * KEYS[1..n]=tag sets, KEYS[n+1..2n]=tag versions; ARGV[1]=n, ARGV[2]=version TTL s. Returns entries deleted.
 */
export const INVALIDATE_TAGS = `
local n = tonumber(ARGV[1])
local deleted = 0
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    deleted = deleted + redis.call('UNLINK', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[n + i])
  redis.call('EXPIRE', KEYS[n + i], ARGV[2])
end
return deleted`;
