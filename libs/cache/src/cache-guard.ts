import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform/config';
import { withDeadline } from './deadline';
import { CACHE_CLIENT } from './valkey.module';
import { ValkeyClient } from './valkey-client';

type BreakerState = 'closed' | 'open';

/** How the cache looks from this process: answering, answering slowly, or not answering at all. */
export type CacheHealth = 'up' | 'degraded' | 'down';

/**
 * Which deadline a command gets. Reads are cheap to give up on (a late GET is a miss); lock and script commands
 * change state, so a caller must learn their outcome: they get the longer deadline; a read-back that settles
 * whether a timed-out write happened ('confirm') gets four times that.
 */
export type CommandKind = 'read' | 'script' | 'confirm';

/**
 * What became of a command: done (with its reply), not sent at all (so it certainly did not run), or unknown (it
 * was sent, and then timed out or lost its connection: it may have run).
 */
export type Attempt<T> =
  { outcome: 'done'; value: T } | { outcome: 'not-sent' } | { outcome: 'unknown'; reason: string };

/** Consecutive connection errors that open the breaker (the rules of CacheGuard and MemcachedGuard). */
export const CONNECTION_ERRORS_TO_OPEN = 3;
/** Timeouts inside TIMEOUT_WINDOW_MS that make the guard probe the server. */
export const TIMEOUTS_TO_PROBE = 3;
export const TIMEOUT_WINDOW_MS = 10_000;
/** How long the cache is reported "degraded" after the last sign of slowness. */
export const DEGRADED_FOR_MS = 10_000;

/** The deadline of a command of this kind (see CommandKind). */
export function commandDeadlineMs(
  kind: CommandKind,
  cache: { commandTimeoutMs: number; scriptTimeoutMs: number },
): number {
  const { commandTimeoutMs, scriptTimeoutMs } = cache;
  return kind === 'read' ? commandTimeoutMs : kind === 'script' ? scriptTimeoutMs : 4 * scriptTimeoutMs;
}

class CommandTimeout extends Error {
  constructor(ms: number) {
    super(`cache command timed out after ${ms} ms`);
    this.name = 'CommandTimeout';
  }
}

/**
 * Every cache command goes through here. The failure detector tells a slow cache from a dead one:
 * - dead: the connection is down (iovalkey reconnects in the background; nothing is sent meanwhile), three
 *   connection errors in a row, or a server that does not answer a PING probe within CACHE_PROBE_TIMEOUT_MS. The
 *   breaker opens: commands are not sent and callers go to the source; after CACHE_BREAKER_COOLDOWN_MS a probe
 *   (PING) decides whether to close it again.
 * - slow: a command past its deadline is given up by its caller (a read becomes a miss), but a timeout is not
 *   proof of death. Several in a window start a probe; a server that answers it is "degraded", never "dead",
 *   so the lock keeps working (one loader per key) on a busy machine.
 * - a reply error (WRONGTYPE, a script error) says nothing about the server's health and is not counted.
 * Callers get `undefined` instead of an exception.
 */
@Injectable()
export class CacheGuard {
  private readonly logger = new Logger('CacheGuard');
  private state: BreakerState = 'closed';
  private openedAt = 0;
  private connectionErrors = 0;
  private timeouts: number[] = [];
  private probing?: Promise<void>;
  private degradedUntil = 0;
  private lastError = '';
  /** Commands not sent or given up (breaker open, connection down, failure, timeout); for /api/stats. */
  bypassed = 0;

  constructor(
    @Inject(CACHE_CLIENT) readonly client: ValkeyClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // A reconnected client while the breaker is open: check at once instead of waiting for the cool-down.
    client.on('ready', () => {
      if (this.state === 'open') void this.probe();
    });
  }

  get prefix(): string {
    return this.config.cache.keyPrefix;
  }

  /** Prefixed key as stored in Valkey. */
  key(logical: string): string {
    return this.config.cache.keyPrefix + logical;
  }

  /** Deadline of a read, and of the liveness probe (health checks use the same). */
  get readTimeoutMs(): number {
    return this.config.cache.commandTimeoutMs;
  }

  get probeTimeoutMs(): number {
    return this.config.cache.probeTimeoutMs;
  }

  get breakerState(): BreakerState {
    return this.state;
  }

  /** True when a command would be sent now (connection ready and breaker closed). */
  get isAvailable(): boolean {
    return this.admit();
  }

  /** up, degraded (answering, but slowly) or down (not connected, or found dead); with the reason. */
  health(): { state: CacheHealth; reason?: string } {
    if (this.client.status !== 'ready')
      return { state: 'down', reason: `not connected (${this.client.status})` };
    if (this.state === 'open') return { state: 'down', reason: this.lastError || 'not answering' };
    if (this.probing || Date.now() < this.degradedUntil)
      return { state: 'degraded', reason: this.lastError || 'slow replies' };
    return { state: 'up' };
  }

  /** Runs a cache operation within its deadline; `undefined` when the cache is unavailable, too slow, or failed. */
  async run<T>(op: (client: ValkeyClient) => Promise<T>, kind: CommandKind = 'read'): Promise<T | undefined> {
    const attempt = await this.attempt(op, kind);
    return attempt.outcome === 'done' ? attempt.value : undefined;
  }

  /** Like run, but says whether a command that did not complete may still have run (see Attempt). */
  async attempt<T>(
    op: (client: ValkeyClient) => Promise<T>,
    kind: CommandKind = 'read',
  ): Promise<Attempt<T>> {
    if (!this.admit()) {
      this.bypassed++;
      return { outcome: 'not-sent' };
    }
    const ms = commandDeadlineMs(kind, this.config.cache);
    const pending = op(this.client);
    try {
      const value = await withDeadline(pending, ms, () => new CommandTimeout(ms));
      this.onReply();
      return { outcome: 'done', value };
    } catch (e) {
      this.bypassed++;
      if (e instanceof CommandTimeout) {
        // A late reply still proves the server alive.
        pending.then(
          () => this.onReply(),
          () => undefined,
        );
      }
      this.onFailure(e as Error);
      return { outcome: 'unknown', reason: (e as Error).message };
    }
  }

  private admit(): boolean {
    // Not connected: iovalkey is reconnecting in the background; do not wait for it.
    if (this.client.status !== 'ready') return false;
    if (this.state === 'closed') return true;
    if (Date.now() - this.openedAt >= this.config.cache.breakerCooldownMs) void this.probe();
    return false;
  }

  private onReply() {
    this.connectionErrors = 0;
  }

  private onFailure(e: Error) {
    if (e instanceof CommandTimeout || /timed out/i.test(e.message)) return this.onTimeout(e);
    if (isReplyError(e)) return; // the server answered: healthy
    this.lastError = e.message;
    if (++this.connectionErrors >= CONNECTION_ERRORS_TO_OPEN) this.open(e.message);
  }

  private onTimeout(e: Error) {
    const now = Date.now();
    this.lastError = e.message;
    this.degradedUntil = now + DEGRADED_FOR_MS;
    this.timeouts = this.timeouts.filter((t) => now - t < TIMEOUT_WINDOW_MS);
    this.timeouts.push(now);
    if (this.timeouts.length >= TIMEOUTS_TO_PROBE) void this.probe();
  }

  /** One PING at a time with the probe deadline: answered -> alive (breaker closed), not answered -> open. */
  private probe(): Promise<void> {
    if (this.probing) return this.probing;
    const ms = this.config.cache.probeTimeoutMs;
    this.probing = withDeadline(this.client.ping(), ms, () => new CommandTimeout(ms))
      .then(
        () => {
          this.timeouts = [];
          this.connectionErrors = 0;
          if (this.state === 'open') this.logger.log('cache answers again: breaker closed');
          this.state = 'closed';
        },
        (e: Error) => this.open(`no answer to a probe within ${ms} ms (${e.message})`),
      )
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  private open(reason: string) {
    if (this.state !== 'open') {
      this.logger.warn(
        `cache dead (${reason}); going to the source for ${this.config.cache.breakerCooldownMs} ms, then probing`,
      );
    }
    this.lastError = reason;
    this.state = 'open';
    this.openedAt = Date.now();
  }
}

/** An error reply from the server (it answered): iovalkey's ReplyError. */
function isReplyError(e: Error): boolean {
  return e?.name === 'ReplyError';
}
