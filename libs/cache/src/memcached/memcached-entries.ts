import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/platform/config';
import type { CacheAsideEngine } from '../cache-engine';
import type { CachedEntry } from '../cache.service';
import type { CommandKind } from '../cache-guard';
import { CacheUnavailableError } from '../distributed-lock';
import { parseJsonEntry } from '../json-entry';
import { InfraKeys } from '../keys';
import { MemcachedConnection, memcachedKey } from './memcached-connection';
import { MemcachedGuard } from './memcached-guard';

/** Keys of the memcached engine's own bookkeeping (under CACHE_KEY_PREFIX, like every key of the project). */
export const MemcachedKeys = {
  /** The invalidation generation: one counter, bumped (INCR) by every invalidation. */
  generation: () => 'mc:generation',
  /** The generation of the last purge (DELETE /api/cache) of this project's entries. */
  purged: () => 'mc:purged',
} as const;

/**
 * An invalidation mark (of a key, a tag, the namespace) must outlive every entry it makes invalid: entries are
 * kept at most ENTRY_MAX_TTL, marks two days longer.
 */
const ENTRY_MAX_TTL_SECONDS = 31 * 24 * 3600;
const MARK_TTL_SECONDS = ENTRY_MAX_TTL_SECONDS + 2 * 24 * 3600;
/** Polling of a waiter: first look after ~10 ms, then every ×1.5 up to ~100 ms, each ±50 % (jitter). */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 100;
/** Compare-and-set rounds before raising a mark gives up (each round lost means another raise succeeded). */
const CAS_ROUNDS = 20;

/**
 * A lock's expiry in memcached: memcached counts whole seconds of its own clock, which may tick just after the
 * write, so an item kept for t seconds can go after t - 1. One second more than asked, so that a lock never
 * expires before ttlMs (its owner's watchdog extends it at ttlMs / 3) and a second loader never gets in early.
 */
function lockSeconds(ttlMs: number): number {
  return Math.ceil(ttlMs / 1000) + 1;
}

/** An entry as stored: a header line (generation at load start, stored at, expires at), its tags, the payload. */
interface StoredEntry {
  generation: number;
  storedAt: number;
  expiresAt: number;
  tags: string[];
  payload: string;
}

function encode(e: StoredEntry): string {
  return `${e.generation} ${e.storedAt} ${e.expiresAt}\n${JSON.stringify(e.tags)}\n${e.payload}`;
}

function decode(raw: string): StoredEntry | null {
  const a = raw.indexOf('\n');
  const b = a < 0 ? -1 : raw.indexOf('\n', a + 1);
  if (b < 0) return null;
  const [generation, storedAt, expiresAt] = raw.slice(0, a).split(' ').map(Number);
  if (![generation, storedAt, expiresAt].every(Number.isFinite)) return null;
  return {
    generation,
    storedAt,
    expiresAt,
    tags: JSON.parse(raw.slice(a + 1, b)) as string[],
    payload: raw.slice(b + 1),
  };
}

/**
 * Cache-aside JSON entries in memcached (CACHE_ENGINE=memcached), with the guarantees of the Valkey engine,
 * built from what memcached offers — no scripts, no pub/sub, no sets:
 * - Invalidation by generations. One counter (INCR) numbers the invalidations. Invalidating a key, a tag or the
 *   whole namespace (purge) bumps it and raises the key's, tag's or namespace's mark to the new generation
 *   (gets/cas, so a mark only ever goes up). A load reads the generation when it starts and the entry carries it
 *   with its tags; a read accepts an entry only when no mark of its key, its tags or the namespace is newer. So a
 *   load that began before an invalidation cannot make its value visible after that invalidation returned, even
 *   for tags that only the loaded value reveals (a search's flights). Nothing is deleted by a tag: invalid
 *   entries are skipped and age out.
 * - The stampede lock is `add` (only one caller creates the key) with a TTL; only its owner releases or extends
 *   it: `gets` the token, then `cas` (a negative expiry deletes it), so a slow owner whose lock expired cannot
 *   remove the next owner's.
 * - No pub/sub: a waiter polls the lock with growing, jittered intervals until the owner released it (or it
 *   expired), then reads the entry. Waiters of this process are woken at once.
 * - A dead memcached (MemcachedGuard) makes reads go to the source, as a dead Valkey does.
 */
export class MemcachedEntries implements CacheAsideEngine {
  readonly name = 'memcached' as const;
  private readonly logger = new Logger('MemcachedEntries');
  private readonly prefix: string;
  /** This process's waiters, woken at once by a fill in this process. */
  private readonly local = new Map<string, Set<() => void>>();

  constructor(
    readonly guard: MemcachedGuard,
    config: AppConfig,
  ) {
    this.prefix = config.cache.keyPrefix;
  }

  /** A connection and its failure detector for `config.cache.memcached`. */
  static create(config: AppConfig): MemcachedEntries {
    const backstopMs = Math.max(4 * config.cache.scriptTimeoutMs, config.cache.probeTimeoutMs) + 1000;
    const connection = new MemcachedConnection(config.cache.memcached, backstopMs);
    return new MemcachedEntries(new MemcachedGuard(connection, config), config);
  }

  get address(): string {
    return this.guard.connection.address;
  }

  get isAvailable(): boolean {
    return this.guard.isAvailable;
  }

  close(): void {
    for (const key of [...this.local.keys()]) this.wake(key);
    this.guard.connection.close();
  }

  /** The key memcached stores a logical key under. */
  key(logical: string): string {
    return memcachedKey(this.prefix, logical);
  }

  // --- lock ------------------------------------------------------------------------------------------------------

  async acquire(logicalKey: string, ttlMs: number): Promise<string | null> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1)
      throw new RangeError(`lock TTL must be a positive integer of ms, got ${ttlMs}`);
    const token = randomUUID();
    const ok = await this.guard.run(
      (c) => c.add(this.lockKey(logicalKey), token, lockSeconds(ttlMs)),
      'script',
    );
    if (ok === undefined) throw new CacheUnavailableError();
    return ok ? token : null;
  }

  release(logicalKey: string, token: string): Promise<boolean> {
    return this.ifOwner(logicalKey, token, -1);
  }

  extend(logicalKey: string, token: string, ttlMs: number): Promise<boolean> {
    return this.ifOwner(logicalKey, token, lockSeconds(ttlMs));
  }

  /** Current owner token (tests and diagnostics). */
  async owner(logicalKey: string): Promise<string | null> {
    return (await this.guard.run((c) => c.get(this.lockKey(logicalKey)))) ?? null;
  }

  /**
   * Rewrites the lock with a new expiry (negative: deletes it) only while `token` holds it. A cas lost while the
   * token is still there was lost to this owner's own release or extend (the watchdog's, in flight): only the
   * owner writes its token, so look again rather than leave the lock held for a whole TTL.
   */
  private async ifOwner(logicalKey: string, token: string, ttlSeconds: number): Promise<boolean> {
    const key = this.lockKey(logicalKey);
    const done = await this.guard.run(async (c) => {
      for (let round = 0; round < CAS_ROUNDS; round++) {
        const held = await c.gets(key);
        if (!held || held.value !== token) return false;
        if (await c.cas(key, token, held.cas, ttlSeconds)) return true;
      }
      return false;
    }, 'script');
    return done === true;
  }

  private lockKey(logicalKey: string): string {
    return this.key(InfraKeys.lock(logicalKey));
  }

  // --- wake-ups ----------------------------------------------------------------------------------------------------

  /**
   * No pub/sub: resolves true once the key's lock is gone (its owner stored and released it, failed, or died and
   * the lock expired) or a fill in this process woke it; false after timeoutMs. Polls with jitter, so that the
   * waiters of several processes do not ask in step.
   */
  waitForFill(logicalKey: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const lockKey = this.lockKey(logicalKey);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      let set = this.local.get(logicalKey);
      if (!set) this.local.set(logicalKey, (set = new Set()));
      const done = (filled: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        set!.delete(wake);
        if (set!.size === 0 && this.local.get(logicalKey) === set) this.local.delete(logicalKey);
        resolve(filled);
      };
      const wake = () => done(true);
      set.add(wake);
      let interval = POLL_FIRST_MS;
      const poll = () => {
        const left = deadline - Date.now();
        if (left <= 0) return done(false);
        const delay = Math.min(left, interval * (0.5 + Math.random()));
        interval = Math.min(POLL_MAX_MS, interval * 1.5);
        timer = setTimeout(() => {
          void this.guard
            .run((c) => c.get(lockKey))
            .then((held) => {
              if (settled) return;
              // Gone: look at the entry. Unknown (memcached unavailable): the caller finds that out itself.
              if (held === null || !this.guard.isAvailable) return done(true);
              poll();
            });
        }, delay);
      };
      poll();
    });
  }

  /** Wakes this process's waiters; the other processes' waiters see the lock gone at their next poll. */
  async notifyFill(logicalKey: string): Promise<void> {
    this.wake(logicalKey);
  }

  private wake(logicalKey: string) {
    for (const wake of [...(this.local.get(logicalKey) ?? [])]) wake();
  }

  // --- generations -------------------------------------------------------------------------------------------------

  /** The generation a load starting now carries; undefined when memcached does not answer (do not store). */
  async loadFence(): Promise<string | undefined> {
    const g = await this.guard.run((c) => this.generation(c), 'script');
    return g === undefined ? undefined : String(g);
  }

  private async generation(c: MemcachedConnection): Promise<number> {
    const raw = await c.get(this.key(MemcachedKeys.generation()));
    if (raw !== null) return Number(raw);
    await this.initGeneration(c);
    return Number((await c.get(this.key(MemcachedKeys.generation()))) ?? 0);
  }

  /** Bumps the generation (the start of an invalidation) and returns the new one. */
  private async bump(c: MemcachedConnection): Promise<number> {
    const key = this.key(MemcachedKeys.generation());
    const n = await c.incr(key);
    if (n !== null) return n;
    await this.initGeneration(c);
    return (await c.incr(key)) ?? Promise.reject(new Error(`${key} vanished while it was bumped`));
  }

  /**
   * A missing counter (a fresh or restarted memcached, or an evicted key) starts at the clock in µs: above any
   * generation handed out before (fewer than 1000 invalidations a ms), so old entries never look newer than marks.
   */
  private async initGeneration(c: MemcachedConnection): Promise<void> {
    await c.add(this.key(MemcachedKeys.generation()), String(Date.now() * 1000), 0);
  }

  /** Raises a mark to `generation` unless it is there already (never lowers it: gets/cas). */
  private async raiseMark(c: MemcachedConnection, key: string, generation: number): Promise<void> {
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const current = await c.gets(key);
      if (!current) {
        if (await c.add(key, String(generation), MARK_TTL_SECONDS)) return;
      } else if (Number(current.value) >= generation) {
        return;
      } else if (await c.cas(key, String(generation), current.cas, MARK_TTL_SECONDS)) {
        return;
      }
    }
    throw new Error(`could not raise ${key} to ${generation} in ${CAS_ROUNDS} rounds`);
  }

  /** The mark keys that decide whether an entry of `logicalKey` with `tags` is still valid. */
  private markKeys(logicalKey: string, tags: string[]): string[] {
    return [
      this.key(MemcachedKeys.purged()),
      this.key(InfraKeys.fence(logicalKey)),
      ...tags.map((t) => this.key(InfraKeys.tagVersion(t))),
    ];
  }

  private static newestMark(marks: Map<string, string>): number {
    let newest = 0;
    for (const v of marks.values()) newest = Math.max(newest, Number(v) || 0);
    return newest;
  }

  // --- entries -----------------------------------------------------------------------------------------------------

  /**
   * An entry that no invalidation made invalid, with its freshness (expiry less the grace) when asked for; null on
   * a miss, an invalid entry, or memcached unavailable. Two round trips: the entry with the key's and the
   * namespace's marks, then its tags' marks.
   */
  async readJson<T>(
    logicalKey: string,
    graceSeconds: number,
    needsFreshness: boolean,
    kind: 'read' | 'script',
  ): Promise<CachedEntry<T> | null> {
    const stored = await this.readValid(logicalKey, kind);
    if (!stored) return null;
    const entry: CachedEntry<T> = { value: parseJsonEntry<T>(stored.payload), storedAt: stored.storedAt };
    if (graceSeconds > 0 || needsFreshness)
      entry.freshForMs = stored.expiresAt - Date.now() - graceSeconds * 1000;
    return entry;
  }

  /** The gateway's hit path (no near cache: memcached cannot tell a process that an entry changed). */
  async cachedJson<T>(logicalKey: string): Promise<{ value: T; near: boolean } | null> {
    const stored = await this.readValid(logicalKey, 'read');
    if (!stored) return null;
    const value = parseJsonEntry<T>(stored.payload);
    return value === null ? null : { value, near: false };
  }

  private async readValid(logicalKey: string, kind: CommandKind): Promise<StoredEntry | null> {
    const key = this.key(logicalKey);
    const got = await this.guard.run(async (c) => {
      const [purged, fence] = this.markKeys(logicalKey, []);
      const first = await c.getMulti([key, purged, fence]);
      const raw = first.get(key);
      if (raw === undefined) return null;
      const stored = decode(raw);
      if (!stored) return null;
      first.delete(key);
      const tagMarks = stored.tags.length
        ? await c.getMulti(this.markKeys(logicalKey, stored.tags).slice(2))
        : new Map();
      const newest = Math.max(MemcachedEntries.newestMark(first), MemcachedEntries.newestMark(tagMarks));
      return newest > stored.generation ? null : stored;
    }, kind);
    return got ?? null;
  }

  /**
   * Stores an entry loaded from generation `fence` ('' = now: write-through and warming) unless one of its marks
   * is newer already. A mark raised after this check still wins: the entry carries its generation and reads
   * compare. True when stored.
   */
  async storeJson(
    logicalKey: string,
    payload: string,
    ttl: number,
    tags: string[],
    fence: string,
  ): Promise<boolean> {
    const ok = await this.guard.run(async (c) => {
      const generation = fence === '' ? await this.generation(c) : Number(fence);
      const marks = await c.getMulti(this.markKeys(logicalKey, tags));
      if (MemcachedEntries.newestMark(marks) > generation) return false;
      const ttlSeconds = Math.min(ttl, ENTRY_MAX_TTL_SECONDS);
      const now = Date.now();
      const entry = encode({ generation, storedAt: now, expiresAt: now + ttlSeconds * 1000, tags, payload });
      await c.set(this.key(logicalKey), entry, ttlSeconds);
      return true;
    }, 'script');
    if (ok === false) this.logger.debug(`not caching ${logicalKey}: it was invalidated while it loaded`);
    return ok === true;
  }

  /** Invalidates keys: raises their marks, then deletes them (memory). Entries deleted; -1 when unreachable. */
  async delete(logicalKeys: string[]): Promise<number> {
    if (logicalKeys.length === 0) return 0;
    const n = await this.guard.run(async (c) => {
      const generation = await this.bump(c);
      await Promise.all(logicalKeys.map((k) => this.raiseMark(c, this.key(InfraKeys.fence(k)), generation)));
      const deleted = await Promise.all(logicalKeys.map((k) => c.delete(this.key(k))));
      return deleted.filter(Boolean).length;
    }, 'script');
    return n ?? -1;
  }

  /** Invalidates every entry under these tags (they stay in memory until they expire). 0; -1 when unreachable. */
  async invalidateTags(tags: string[]): Promise<number> {
    if (tags.length === 0) return 0;
    const n = await this.guard.run(async (c) => {
      const generation = await this.bump(c);
      await Promise.all(tags.map((t) => this.raiseMark(c, this.key(InfraKeys.tagVersion(t)), generation)));
      return 0;
    }, 'script');
    return n ?? -1;
  }

  /**
   * Invalidates every entry of this project (DELETE /api/cache) by raising the namespace's mark, not flush_all:
   * the memcached may be shared. The entries age out. Throws CacheUnavailableError when unreachable.
   */
  async purge(): Promise<number> {
    const n = await this.guard.run(async (c) => {
      await this.raiseMark(c, this.key(MemcachedKeys.purged()), await this.bump(c));
      return 0;
    }, 'script');
    if (n === undefined) throw new CacheUnavailableError();
    return n;
  }
}
