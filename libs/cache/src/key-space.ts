import calculateSlot from 'cluster-key-slot';

/**
 * Where each logical key lives: the prefix, and on a Valkey Cluster the hash tag of its shard.
 *
 * On one server a key is `CACHE_KEY_PREFIX + logical` and nothing else changes. On a cluster every key gets the
 * hash tag of one of CACHE_SHARDS shards, `prefix{c3-41}logical`, so that every Lua script finds all its keys in
 * one slot. What decides the shard is the key's *entity* (slotEntity below): an entry with its fence, its lock,
 * its load failure and the tag sets and versions it is registered in; a flight's seat map, counters, pending
 * reservations, flight-change queue and the write-behind stream entries of its bookings; a passenger's profile
 * and routes; a session's hash, basket and lookups; all leaderboards. Tags therefore exist once per shard:
 * registering an entry is one script on its shard, and invalidating a tag runs the same script on every shard.
 * Every fence compares times read from one shard's server (see CacheService.serverTimeUs), never two clocks.
 */
export class KeySpace {
  /** Hash tag of each shard ('' on one server). */
  private readonly tags: string[];

  constructor(
    readonly prefix: string,
    /** null: one server; else the number of shards of the cluster. */
    shards: number | null,
  ) {
    this.tags = shards === null ? [''] : shardHashTags(shards);
  }

  get isSharded(): boolean {
    return this.tags[0] !== '';
  }

  get shardCount(): number {
    return this.tags.length;
  }

  /** The stored key of a logical key, in the shard of its entity. */
  key(logical: string): string {
    return this.keyIn(this.shardOf(logical), logical);
  }

  /** The stored key of a logical key placed in a given shard (tag sets, streams: one of each per shard). */
  keyIn(shard: number, logical: string): string {
    return this.prefix + this.tags[shard] + logical;
  }

  /** The shard of a logical key: 0 on one server. */
  shardOf(logical: string): number {
    return this.tags.length === 1 ? 0 : fnv1a(slotEntity(logical)) % this.tags.length;
  }

  /** A stored key back to its logical name (undefined when it is not one of this prefix). */
  logicalOf(stored: string): string | undefined {
    if (!stored.startsWith(this.prefix)) return undefined;
    const rest = stored.slice(this.prefix.length);
    if (!this.isSharded || !rest.startsWith('{')) return rest;
    const end = rest.indexOf('}');
    return end < 0 ? rest : rest.slice(end + 1);
  }
}

/**
 * The entity a logical key belongs to: keys of one entity share a shard, so one script may touch them together.
 * Keys not listed are their own entity (a cached JSON entry), and infrastructure keys about a key (its fence, lock
 * and load failure) follow that key.
 */
export function slotEntity(logical: string): string {
  for (const [pattern, entity] of ENTITY_RULES) {
    const m = pattern.exec(logical);
    if (m) return typeof entity === 'string' ? entity : entity(m);
  }
  return logical;
}

const ENTITY_RULES: [RegExp, string | ((m: RegExpExecArray) => string)][] = [
  // Infrastructure about a key: the key's own entity.
  [/^(?:fence|lock|load-failure):(.*)$/, (m) => slotEntity(m[1])],
  // A flight: its JSON, manifest, seat counters and bitmap, pending seats, pending changes and booking facts.
  [
    /^(?:flight|manifest|seats|seatmap|wb:pending|wb:flight-pending|wb:flight-seq|booking-facts:flight):(\d+)$/,
    (m) => `flight:${m[1]}`,
  ],
  // A passenger's profile hash and routes sorted set (updated together by a booking).
  [/^passenger:(\d+):(?:profile|routes)$/, (m) => `passenger:${m[1]}`],
  // A session's hash, basket and lookups.
  [/^session:([^:]+)(?::basket|:weather)?$/, (m) => `session:${m[1]}`],
  // Leaderboards, their markers and the day boards: updated together by the warmer's scripts.
  [/^leaderboards?:/, 'leaderboards'],
  // The semantic cache of one engine and model: its entries and their index (a sorted set) change together.
  [/^ask:semantic-index:(.*)$/, (m) => `ask:semantic:${m[1]}`],
  [/^ask:semantic:(.*):[^:]*$/, (m) => `ask:semantic:${m[1]}`],
  // Statistics: read and reset together in pipelines.
  [/^stats:/, 'stats'],
];

/** FNV-1a, 32 bits: a cheap, stable spread of entities over shards. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * One hash tag per shard, chosen so that shard i's slot falls in the i-th of `shards` equal slot ranges: on a
 * cluster whose masters split the slots evenly (what `valkey-cli --cluster create` does), the shards spread over
 * the masters instead of landing wherever CRC16 puts them.
 */
export function shardHashTags(shards: number): string[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new Error(`bad shard count ${shards}`);
  return Array.from({ length: shards }, (_, i) => {
    const low = Math.floor((i * 16384) / shards);
    const high = Math.floor(((i + 1) * 16384) / shards);
    for (let n = 0; ; n++) {
      const tag = `c${i}-${n}`;
      const slot = calculateSlot(tag);
      if (slot >= low && slot < high) return `{${tag}}`;
    }
  });
}
