import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { isCluster, ValkeyClient } from './valkey-client';

/** One near-cache entry: the value as the caller uses it, and what it weighs. */
interface NearEntry {
  value: unknown;
  bytes: number;
}

export interface NearCacheOptions {
  /** Memory bound of the entries (their stored size); 0 turns the near cache off. */
  maxBytes: number;
  /** Longest an entry is kept, whatever its Valkey TTL (expiry notices can lag behind the TTL). */
  maxAgeMs: number;
}

export interface NearCacheStats {
  enabled: boolean;
  /** Whether invalidations are being received (entries are served only then). */
  tracking: boolean;
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  invalidations: number;
  /** Times everything was dropped: a tracking connection lost or reconnected, a FLUSHALL. */
  flushes: number;
  /** CLIENT ID of the connection invalidations are redirected to (diagnostics; null when not tracking). */
  redirectId: number | null;
}

const CHANNEL = '__redis__:invalidate';

/**
 * A near cache (L1): values read from Valkey kept in this process's memory, in a bounded LRU (by bytes), and kept
 * coherent by Valkey itself. The reading connection turns on server-assisted client-side caching
 * (`CLIENT TRACKING ON REDIRECT <id>`, RESP2): the server remembers which keys that connection read and, when any
 * client changes or deletes one (another process, `valkey-cli`, an expiry), pushes the key name to a second
 * connection subscribed to `__redis__:invalidate`; the entry is dropped. Why REDIRECT: iovalkey speaks RESP2,
 * where invalidations can only travel as pub/sub messages on another connection.
 *
 * Safety: entries are served only while that connection is subscribed and tracking is on; losing either drops
 * everything before serving again. A read whose key was invalidated while it was in flight is not kept (its reply
 * may predate the change). `barrier()` waits until every invalidation the server had sent is applied, so a
 * write's answer can be followed by a read that sees it.
 */
export class NearCache {
  private readonly logger = new Logger('NearCache');
  private readonly lru?: LRUCache<string, NearEntry>;
  private subscriber?: ValkeyClient;
  private tracking = false;
  /** CLIENT ID of the subscribed invalidation connection; null until (re)subscribed. */
  private redirectId: number | null = null;
  private enabling?: Promise<void>;
  /** Bumped whenever everything is dropped: a read that started before it is not kept. */
  private epoch = 0;
  /** Keys with reads in flight (count), and those of them invalidated meanwhile. */
  private readonly inFlight = new Map<string, number>();
  private readonly raced = new Set<string>();
  private readonly counters = { hits: 0, misses: 0, invalidations: 0, flushes: 0 };
  /** For entries made of several keys (a hash and a bitmap): key -> the entry ids it belongs to. */
  private readonly composites = new Map<string, Set<string>>();
  private trackingWaiters: Array<() => void> = [];

  constructor(
    private readonly client: ValkeyClient,
    private readonly options: NearCacheOptions,
  ) {
    // Not on a cluster (yet): tracking would need a redirect connection per master, set up again after every
    // failover and slot move; without it a near entry could outlive its invalidation. Reads go to Valkey.
    if (options.maxBytes > 0 && !isCluster(client)) {
      this.lru = new LRUCache<string, NearEntry>({
        maxSize: options.maxBytes,
        sizeCalculation: (e) => Math.max(1, e.bytes),
        ttl: options.maxAgeMs,
        ttlAutopurge: false,
        dispose: (_value, id) => this.forgetMembers(id),
      });
    }
  }

  get enabled(): boolean {
    return this.lru !== undefined;
  }

  /** Subscribes the invalidation connection and turns tracking on (again after every reconnect of either). */
  start(): void {
    if (!this.lru || this.subscriber) return;
    const name = this.client.options.connectionName;
    const sub = this.client.duplicate({
      connectionName: name ? `${name}-invalidations` : undefined,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      lazyConnect: true,
      // Subscribed by setUpTracking after CLIENT ID (not allowed once a RESP2 connection is subscribed).
      autoResubscribe: false,
      enableAutoPipelining: false,
    });
    this.subscriber = sub;
    sub.on('error', () => undefined);
    sub.on('messageBuffer', (channel: Buffer, message: Buffer[] | Buffer | null) => {
      if (String(channel) !== CHANNEL) return;
      // null: the server flushed everything (FLUSHALL/FLUSHDB), or tracking memory ran out.
      if (message === null) return this.dropAll('the server flushed its keys');
      for (const key of Array.isArray(message) ? message : [message]) this.invalidate(String(key));
    });
    // Either connection lost: nothing is served until tracking is set up again on both.
    sub.on('close', () => {
      this.redirectId = null;
      this.dropAll('invalidation connection lost');
    });
    this.client.on('close', () => this.dropAll('cache connection lost'));
    sub.on('ready', () => void this.enableTracking());
    this.client.on('ready', () => void this.enableTracking());
    sub.connect().catch(() => undefined);
  }

  /** Resolves when entries are served from memory (at once when the near cache is off); false after timeoutMs. */
  ready(timeoutMs = 10_000): Promise<boolean> {
    if (!this.lru || this.tracking) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.trackingWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    this.dropAll('stopped');
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  /**
   * The value of a key: from memory when tracked and present, else fetched from Valkey (`fetch` answers the stored
   * string and its remaining TTL in ms, or null) and kept for next time. `parse` turns the string into the value
   * (done once per fetch, not per hit).
   */
  async read<T>(
    key: string,
    fetch: () => Promise<{ raw: string; pttl: number } | null | undefined>,
    parse: (raw: string) => T,
  ): Promise<{ value: T; near: boolean } | null | undefined> {
    if (!this.lru || !this.serving()) {
      const got = await fetch();
      return got ? { value: parse(got.raw), near: false } : got;
    }
    const entry = this.lru.get(key);
    if (entry) {
      this.counters.hits++;
      return { value: entry.value as T, near: true };
    }
    this.counters.misses++;
    const fresh = this.startRead([key]);
    let got: { raw: string; pttl: number } | null | undefined;
    try {
      got = await fetch();
    } finally {
      fresh.end();
    }
    if (!got) return got;
    const value = parse(got.raw);
    if (fresh.unchanged && got.pttl !== 0) {
      const ttl = got.pttl > 0 ? Math.min(got.pttl, this.options.maxAgeMs) : this.options.maxAgeMs;
      this.lru.set(key, { value, bytes: got.raw.length }, { ttl });
    }
    return { value, near: false };
  }

  /**
   * An entry made of several keys (a hash of counters and a bitmap, a hash and a sorted set), read together by
   * `fetch`; kept while none of its keys changes (a change to any of them drops it).
   */
  async readComposite<T>(
    keys: string[],
    fetch: () => Promise<T | null | undefined>,
  ): Promise<{ value: T; near: boolean } | null | undefined> {
    if (!this.lru || !this.serving()) {
      const got = await fetch();
      if (got === null) return null;
      return got === undefined ? undefined : { value: got, near: false };
    }
    const id = keys.join('\u0000');
    const entry = this.lru.get(id);
    if (entry) {
      this.counters.hits++;
      return { value: entry.value as T, near: true };
    }
    this.counters.misses++;
    const fresh = this.startRead(keys);
    let got: T | null | undefined;
    try {
      got = await fetch();
    } finally {
      fresh.end();
    }
    if (got === null) return null;
    if (got === undefined) return undefined;
    if (fresh.unchanged) {
      this.lru.set(id, { value: got, bytes: JSON.stringify(got).length });
      for (const k of keys) {
        let ids = this.composites.get(k);
        if (!ids) this.composites.set(k, (ids = new Set()));
        ids.add(id);
      }
    }
    return { value: got, near: false };
  }

  /**
   * Marks keys as being read from Valkey. `end()` when the reply is in; then `unchanged` says whether the reply
   * may be kept: tracking stayed on and none of the keys was invalidated while it was in flight.
   */
  private startRead(keys: string[]): { end(): void; readonly unchanged: boolean } {
    const epoch = this.epoch;
    for (const k of keys) this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    let unchanged = false;
    return {
      end: () => {
        unchanged = this.tracking && epoch === this.epoch && keys.every((k) => !this.raced.has(k));
        for (const k of keys) {
          const left = (this.inFlight.get(k) ?? 1) - 1;
          if (left > 0) this.inFlight.set(k, left);
          else {
            this.inFlight.delete(k);
            this.raced.delete(k);
          }
        }
      },
      get unchanged() {
        return unchanged;
      },
    };
  }

  /** Drops keys this process changed itself (its own write needs no round trip to be seen). */
  drop(keys: string[]): void {
    for (const k of keys) this.invalidate(k);
  }

  /**
   * Resolves once every invalidation the server sent before this call has been applied: a round trip on the
   * invalidation connection, whose replies come in order after the messages pushed before them.
   */
  async barrier(): Promise<void> {
    if (!this.lru || !this.tracking || !this.subscriber) return;
    // Nothing held and nothing being read: nothing an invalidation could still remove.
    if (this.lru.size === 0 && this.inFlight.size === 0) return;
    await this.subscriber.ping().catch(() => this.dropAll('invalidation connection did not answer'));
  }

  stats(): NearCacheStats {
    return {
      enabled: !!this.lru,
      tracking: this.tracking,
      redirectId: this.tracking ? this.redirectId : null,
      entries: this.lru?.size ?? 0,
      bytes: this.lru?.calculatedSize ?? 0,
      ...this.counters,
    };
  }

  /** Tracking is on and both connections are up (a connection going down is noticed here before its event). */
  private serving(): boolean {
    if (!this.tracking) return false;
    if (this.client.status === 'ready' && this.subscriber?.status === 'ready') return true;
    this.dropAll('a connection is down');
    return false;
  }

  private invalidate(key: string): void {
    this.counters.invalidations++;
    this.lru?.delete(key);
    const ids = this.composites.get(key);
    if (ids) for (const id of [...ids]) this.lru?.delete(id);
    if (this.inFlight.has(key)) this.raced.add(key);
  }

  /** An entry left the LRU: its keys no longer point to it. */
  private forgetMembers(id: string): void {
    if (!id.includes('\u0000')) return;
    for (const k of id.split('\u0000')) {
      const ids = this.composites.get(k);
      ids?.delete(id);
      if (ids?.size === 0) this.composites.delete(k);
    }
  }

  private dropAll(reason: string): void {
    const had = this.tracking || (this.lru?.size ?? 0) > 0;
    this.tracking = false;
    this.epoch++;
    this.lru?.clear();
    if (had) {
      this.counters.flushes++;
      if (reason !== 'stopped') this.logger.debug(`near cache emptied: ${reason}`);
    }
  }

  /** CLIENT TRACKING ON REDIRECT <subscriber id> on the reading connection; served from memory only after it. */
  private enableTracking(): Promise<void> {
    // One at a time: both connections' 'ready' events may arrive together.
    this.enabling ??= this.setUpTracking().finally(() => (this.enabling = undefined));
    return this.enabling;
  }

  private async setUpTracking(): Promise<void> {
    const sub = this.subscriber;
    if (!sub || sub.status !== 'ready' || this.client.status !== 'ready') return;
    try {
      this.dropAll('tracking (re)starting');
      // CLIENT ID before SUBSCRIBE: a subscribed RESP2 connection accepts no other command.
      if (this.redirectId === null) {
        const id = (await sub.client('ID')) as number;
        await sub.subscribe(CHANNEL);
        this.redirectId = id;
      }
      const epoch = this.epoch;
      await this.client.client('TRACKING', 'ON', 'REDIRECT', String(this.redirectId));
      // Nothing was dropped meanwhile (no connection lost): serve from memory from now on.
      if (epoch === this.epoch && sub.status === 'ready' && this.client.status === 'ready') {
        this.tracking = true;
        for (const wake of this.trackingWaiters.splice(0)) wake();
      }
    } catch (e) {
      this.logger.warn(`near cache off until the next reconnect: ${(e as Error).message}`);
    }
  }
}
