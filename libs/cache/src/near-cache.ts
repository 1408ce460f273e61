import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { asCluster, isCluster, ValkeyClient } from './valkey-client';

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
  /** The server that id belongs to: '' on one server, a master's host:port on a cluster (the first of them). */
  redirectNode: string | null;
  /** Servers tracked: 1, or the cluster's masters. */
  servers: number;
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
/**
 * One tracked server: the connection that reads from it (the client itself, or on a cluster the cluster client's
 * connection to one master) and the subscribed connection its invalidations are redirected to.
 */
interface Link {
  /** The master's address on a cluster ('' on one server). */
  node: string;
  reader: ValkeyClient;
  subscriber: ValkeyClient;
  /** CLIENT ID of the subscribed connection; null until (re)subscribed. */
  redirectId: number | null;
  /** Tracking is on for this server (both connections up since it was turned on). */
  tracking: boolean;
  /** Bumped when either connection is lost: a set-up that began before it does not count. */
  generation: number;
  enabling?: Promise<void>;
  /** Listeners put on the reader (removed when the link goes). */
  readerListeners: [string, () => void][];
}

export class NearCache {
  private readonly logger = new Logger('NearCache');
  private readonly lru?: LRUCache<string, NearEntry>;
  /** One per server (one on one server, one per master on a cluster). */
  private links: Link[] = [];
  private started = false;
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
    if (options.maxBytes > 0) {
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

  /** Entries are served from memory: every server tracks this process's reads. */
  private get tracking(): boolean {
    return this.links.length > 0 && this.links.every((l) => l.tracking);
  }

  /**
   * Subscribes an invalidation connection per server and turns tracking on (again after every reconnect). On a
   * cluster: one per master, rebuilt whenever the masters change (a failover, a node added).
   */
  start(): void {
    if (!this.lru || this.started) return;
    this.started = true;
    if (!isCluster(this.client)) {
      this.links = [this.link('', this.client)];
      return;
    }
    const cluster = asCluster(this.client);
    const relink = () => this.relink();
    for (const event of ['ready', '+node', '-node', 'refresh']) cluster.on(event, relink);
    this.stopWatching = () => {
      for (const event of ['ready', '+node', '-node', 'refresh']) cluster.off(event, relink);
    };
    this.relink();
  }

  private stopWatching?: () => void;

  /** The cluster's masters changed (or first known): one link per master, the others closed. */
  private relink(): void {
    if (!this.started) return;
    const masters = asCluster(this.client).nodes('master') as ValkeyClient[];
    const same =
      masters.length === this.links.length && masters.every((m) => this.links.some((l) => l.reader === m));
    if (same) return;
    this.dropAll('cluster masters changed');
    const kept = this.links.filter((l) => masters.includes(l.reader));
    for (const gone of this.links.filter((l) => !kept.includes(l))) this.unlink(gone);
    const added = masters
      .filter((m) => !kept.some((l) => l.reader === m))
      .map((m) => this.link(`${m.options.host}:${m.options.port}`, m));
    this.links = [...kept, ...added];
  }

  private link(node: string, reader: ValkeyClient): Link {
    const name = reader.options.connectionName ?? this.client.options?.connectionName;
    const subscriber = reader.duplicate({
      connectionName: name ? `${name}-invalidations` : undefined,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      lazyConnect: true,
      // Subscribed by setUpTracking after CLIENT ID (not allowed once a RESP2 connection is subscribed).
      autoResubscribe: false,
      enableAutoPipelining: false,
      // A cluster's node connection does not retry; its invalidation connection does (until the node goes).
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    });
    const link: Link = {
      node,
      reader,
      subscriber,
      redirectId: null,
      tracking: false,
      generation: 0,
      readerListeners: [],
    };
    const lost = (reason: string) => {
      link.tracking = false;
      link.generation++;
      this.dropAll(reason);
    };
    subscriber.on('error', () => undefined);
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer[] | Buffer | null) => {
      if (String(channel) !== CHANNEL) return;
      // null: the server flushed everything (FLUSHALL/FLUSHDB), or tracking memory ran out.
      if (message === null) return this.dropAll('the server flushed its keys');
      for (const key of Array.isArray(message) ? message : [message]) this.invalidate(String(key));
    });
    // Either connection lost: nothing is served until tracking is set up again on both.
    subscriber.on('close', () => {
      link.redirectId = null;
      lost('invalidation connection lost');
    });
    subscriber.on('ready', () => void this.enableTracking(link));
    const onReaderClose = () => lost('cache connection lost');
    const onReaderReady = () => void this.enableTracking(link);
    link.readerListeners = [
      ['close', onReaderClose],
      ['ready', onReaderReady],
    ];
    for (const [event, fn] of link.readerListeners) reader.on(event, fn);
    subscriber.connect().catch(() => undefined);
    // A cluster's node connection may be up already (no 'ready' to come), or connect on first use.
    if (reader.status === 'ready') void this.enableTracking(link);
    else if (reader.status === 'wait') reader.connect().catch(() => undefined);
    return link;
  }

  private unlink(link: Link): void {
    link.tracking = false;
    for (const [event, fn] of link.readerListeners) link.reader.off(event, fn);
    link.subscriber.disconnect();
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
    this.started = false;
    this.stopWatching?.();
    this.dropAll('stopped');
    for (const link of this.links) this.unlink(link);
    this.links = [];
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
   * The value of a key when this process holds it and may serve it (tracking on, every connection up), at once:
   * no promise, no round trip. undefined otherwise — the caller then reads the usual way (`read`), which counts the
   * miss.
   */
  peek<T>(key: string): T | undefined {
    if (!this.lru || !this.serving()) return undefined;
    const entry = this.lru.get(key);
    if (!entry) return undefined;
    this.counters.hits++;
    return entry.value as T;
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
    if (!this.lru || !this.tracking) return;
    // Nothing held and nothing being read: nothing an invalidation could still remove.
    if (this.lru.size === 0 && this.inFlight.size === 0) return;
    // Every server's invalidation connection (a write may have changed keys on any master).
    await Promise.all(
      this.links.map((l) =>
        l.subscriber.ping().catch(() => this.dropAll('invalidation connection did not answer')),
      ),
    );
  }

  stats(): NearCacheStats {
    return {
      enabled: !!this.lru,
      tracking: this.tracking,
      redirectId: this.tracking ? (this.links[0]?.redirectId ?? null) : null,
      redirectNode: this.tracking ? (this.links[0]?.node ?? null) : null,
      servers: this.links.length,
      entries: this.lru?.size ?? 0,
      bytes: this.lru?.calculatedSize ?? 0,
      ...this.counters,
    };
  }

  /** Tracking is on and every connection is up (a connection going down is noticed here before its event). */
  private serving(): boolean {
    if (!this.tracking) return false;
    const down = this.links.filter((l) => l.reader.status !== 'ready' || l.subscriber.status !== 'ready');
    if (down.length === 0) return true;
    for (const l of down) {
      l.tracking = false;
      l.generation++;
    }
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
    const had = (this.lru?.size ?? 0) > 0;
    this.epoch++;
    this.lru?.clear();
    if (had) {
      this.counters.flushes++;
      if (reason !== 'stopped') this.logger.debug(`near cache emptied: ${reason}`);
    }
  }

  /** CLIENT TRACKING ON REDIRECT <subscriber id> on a server's reading connection; served only once all are on. */
  private enableTracking(link: Link): Promise<void> {
    // One at a time: both connections' 'ready' events may arrive together.
    link.enabling ??= this.setUpTracking(link).finally(() => (link.enabling = undefined));
    return link.enabling;
  }

  private async setUpTracking(link: Link): Promise<void> {
    const { subscriber: sub, reader } = link;
    if (!this.links.includes(link) || sub.status !== 'ready' || reader.status !== 'ready') return;
    try {
      link.tracking = false;
      this.dropAll('tracking (re)starting');
      // CLIENT ID before SUBSCRIBE: a subscribed RESP2 connection accepts no other command.
      if (link.redirectId === null) {
        const id = (await sub.client('ID')) as number;
        await sub.subscribe(CHANNEL);
        link.redirectId = id;
      }
      const generation = link.generation;
      await reader.client('TRACKING', 'ON', 'REDIRECT', String(link.redirectId));
      // Neither connection was lost meanwhile: this server's reads are tracked from now on. (Entries read before
      // now were dropped above, and reads in flight across that drop are not kept: see startRead.)
      if (generation === link.generation && sub.status === 'ready' && reader.status === 'ready') {
        link.tracking = true;
        if (this.tracking) for (const wake of this.trackingWaiters.splice(0)) wake();
      }
    } catch (e) {
      // A link closed on purpose (stopped, or its master gone) has nothing to report.
      if (!this.links.includes(link)) return;
      this.logger.warn(
        `near cache off until the next reconnect${link.node ? ` of ${link.node}` : ''}: ${(e as Error).message}`,
      );
    }
  }
}
