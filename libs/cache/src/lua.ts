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
 * Store a value and register it under its tags, unless one of the tags was invalidated after the loader started
 * (a tag's version is the server time, in µs, of its last invalidation): the loaded value may then predate the change.
 * KEYS[1]=entry, KEYS[2..1+n]=tag sets, KEYS[2+n..1+2n]=tag versions; ARGV[1]=value, ARGV[2]=ttl s, ARGV[3]=n,
 * ARGV[4]=server time (µs) the load started ('' = do not check: write-through of a value known to be current).
 */
export const SET_WITH_TAGS = `
local n = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  local started = tonumber(ARGV[4])
  for i = 1, n do
    local invalidated = redis.call('GET', KEYS[1 + n + i])
    if invalidated and tonumber(invalidated) >= started then return 0 end
  end
end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
for i = 1, n do
  local tagSet = KEYS[1 + i]
  redis.call('SADD', tagSet, KEYS[1])
  if redis.call('TTL', tagSet) < ttl then redis.call('EXPIRE', tagSet, ttl) end
end
return 1`;

/**
 * Invalidate tags: delete every entry registered under them and the tag sets themselves, and stamp each tag's
 * version with the server time, so loads that started before this moment do not write their result back.
 * KEYS[1..n]=tag sets, KEYS[n+1..2n]=tag versions; ARGV[1]=n, ARGV[2]=version TTL s. Returns entries deleted.
 */
export const INVALIDATE_TAGS = `
local n = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local deleted = 0
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do
    deleted = deleted + redis.call('UNLINK', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], now, 'EX', ARGV[2])
end
return deleted`;

/**
 * Server time in µs (a load's start, compared with tag versions by the scripts above). Microseconds, so that a
 * load starting right after an invalidation is not mistaken for one that started with it. Exact in a Lua double.
 */
export function serverMicros([seconds, micros]: [string, string] | [number, number]): string {
  return String(Number(seconds) * 1_000_000 + Number(micros));
}
