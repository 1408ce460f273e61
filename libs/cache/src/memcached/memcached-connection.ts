import { createHash } from 'node:crypto';
import { MemcacheClient } from 'memcache-client';
import type { Endpoint } from '@app/platform/config';

/** A memcached reply that says "no" (the server answered): not a sign of trouble. */
const NO_REPLIES = new Set(['NOT_STORED', 'EXISTS', 'NOT_FOUND']);

/** An error the server answered with (it is alive): CacheGuard-like detectors must not count it. */
export function isMemcachedReplyError(e: unknown): boolean {
  const m = (e as Error)?.message ?? '';
  return NO_REPLIES.has(m) || /^(SERVER_ERROR|CLIENT_ERROR|ERROR)\b/.test(m);
}

/** memcached takes an expiry above 30 days as a Unix time; TTLs here are seconds from now. */
const MAX_RELATIVE_TTL = 30 * 24 * 3600;

/**
 * The memcached commands the engine uses, on memcache-client (text protocol: get/gets with several keys, add, cas,
 * incr), with the "no" replies (NOT_STORED, EXISTS, NOT_FOUND) turned into return values instead of errors.
 * Values are strings; a TTL of 0 means "no expiry", a negative one expires the item at once (a cas with it is an
 * owner-only delete).
 */
export class MemcachedConnection {
  private readonly client: MemcacheClient;

  constructor(
    readonly endpoint: Endpoint,
    /** The client's own deadline: a backstop only (the guard gives each command a shorter one). */
    backstopMs: number,
  ) {
    this.client = new MemcacheClient({
      // One server; memcache-client keeps retrying it (keepLastServer) rather than giving up on it.
      server: { server: `${endpoint.host}:${endpoint.port}`, maxConnections: 4 },
      cmdTimeout: backstopMs,
      connectTimeout: backstopMs,
      ignoreNotStored: false,
      noDelay: true,
    });
    // Connection trouble is reported by the guard and health checks; an unhandled 'error' would crash.
    this.client.on('error', () => undefined);
  }

  get address(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  async get(key: string): Promise<string | null> {
    const r = await this.client.get<string>(key);
    return r ? String(r.value) : null;
  }

  /** The keys that exist, with their values (absent keys are left out). */
  async getMulti(keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (keys.length === 0) return out;
    const unique = [...new Set(keys)];
    // With several keys memcache-client answers with one record per key found.
    const r = (await this.client.get(unique)) as unknown as Record<string, { value: unknown }> | undefined;
    for (const [k, v] of Object.entries(r ?? {})) out.set(k, String(v.value));
    return out;
  }

  async gets(key: string): Promise<{ value: string; cas: string } | null> {
    const r = await this.client.gets<string>(key);
    return r ? { value: String(r.value), cas: String(r.casUniq) } : null;
  }

  /** Stores only when the key is absent; false when it exists. */
  async add(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.no(this.client.add(key, value, { lifetime: lifetime(ttlSeconds) }));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, { lifetime: lifetime(ttlSeconds) });
  }

  /** Stores only when the item is unchanged since `gets` returned `cas`; false when it changed or vanished. */
  async cas(key: string, value: string, cas: string, ttlSeconds: number): Promise<boolean> {
    return this.no(this.client.cas(key, value, { casUniq: cas, lifetime: lifetime(ttlSeconds) }));
  }

  async delete(key: string): Promise<boolean> {
    return this.no(this.client.delete(key));
  }

  /** The counter after adding `by`; null when it does not exist. */
  async incr(key: string, by = 1): Promise<number | null> {
    try {
      return Number(await this.client.incr(key, by));
    } catch (e) {
      if ((e as Error).message === 'NOT_FOUND') return null;
      throw e;
    }
  }

  async version(): Promise<string> {
    const [, v] = await this.client.version();
    return v;
  }

  close(): void {
    this.client.shutdown();
  }

  private async no(p: Promise<unknown>): Promise<boolean> {
    try {
      await p;
      return true;
    } catch (e) {
      if (NO_REPLIES.has((e as Error).message)) return false;
      throw e;
    }
  }
}

function lifetime(ttlSeconds: number): number {
  if (ttlSeconds <= 0) return ttlSeconds < 0 ? -1 : 0;
  const s = Math.ceil(ttlSeconds);
  return s > MAX_RELATIVE_TTL ? Math.floor(Date.now() / 1000) + s : s;
}

/**
 * A key memcached accepts: printable ASCII without spaces, at most 250 bytes. Other keys (long ones, non-ASCII)
 * are stored under the prefix and a hash of them.
 */
export function memcachedKey(prefix: string, logical: string): string {
  const key = prefix + logical;
  if (/^[\x21-\x7e]{1,250}$/.test(key)) return key;
  return `${prefix}h:${createHash('sha256').update(logical).digest('hex')}`;
}
