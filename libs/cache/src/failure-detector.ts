import { Logger } from '@nestjs/common';
import { withDeadline } from './deadline';

/** How a cache server looks from this process: answering, answering slowly, or not answering at all. */
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

/** Consecutive connection errors that open the breaker. */
export const CONNECTION_ERRORS_TO_OPEN = 3;
/** Timeouts inside TIMEOUT_WINDOW_MS that make the detector probe the server. */
export const TIMEOUTS_TO_PROBE = 3;
export const TIMEOUT_WINDOW_MS = 10_000;
/** How long the server is reported "degraded" after the last sign of slowness. */
export const DEGRADED_FOR_MS = 10_000;

export interface DeadlineSettings {
  commandTimeoutMs: number;
  scriptTimeoutMs: number;
  probeTimeoutMs: number;
  breakerCooldownMs: number;
}

/** The deadline of a command of this kind (see CommandKind). */
export function commandDeadlineMs(
  kind: CommandKind,
  cache: { commandTimeoutMs: number; scriptTimeoutMs: number },
): number {
  const { commandTimeoutMs, scriptTimeoutMs } = cache;
  return kind === 'read' ? commandTimeoutMs : kind === 'script' ? scriptTimeoutMs : 4 * scriptTimeoutMs;
}

class CommandTimeout extends Error {
  constructor(server: string, ms: number) {
    super(`${server} command timed out after ${ms} ms`);
    this.name = 'CommandTimeout';
  }
}

export interface ServerProbe {
  /** Named in log lines and timeout messages ("cache", "memcached"). */
  server: string;
  /** The log context (the guard's name). */
  logContext: string;
  /** A cheap command any live server answers (PING, version). */
  ping: () => Promise<unknown>;
  /** Why nothing can be sent right now (a connection that is down and reconnecting), or null when it can. */
  notConnected: () => string | null;
  /** An error reply: the server answered, so it says nothing about its health. */
  isReplyError: (e: Error) => boolean;
}

/**
 * The failure detector every cache server's commands go through (CacheGuard for Valkey, MemcachedGuard); it tells a
 * slow server from a dead one:
 * - dead: the connection is down (nothing is sent meanwhile), three connection errors in a row, or no answer to a
 *   probe within CACHE_PROBE_TIMEOUT_MS. The breaker opens: commands are not sent and callers go to the source;
 *   after CACHE_BREAKER_COOLDOWN_MS a probe decides whether to close it again.
 * - slow: a command past its deadline is given up by its caller (a read becomes a miss), but a timeout is not proof
 *   of death. Several in a window start a probe; a server that answers it is "degraded", never "dead", so the lock
 *   keeps working (one loader per key) on a busy machine.
 * - a reply error (WRONGTYPE, a script error, NOT_STORED) says nothing about the server's health and is not counted.
 */
export class FailureDetector {
  private readonly logger: Logger;
  private open = false;
  private openedAt = 0;
  private connectionErrors = 0;
  private timeouts: number[] = [];
  private probing?: Promise<boolean>;
  private degradedUntil = 0;
  private lastError = '';
  /** Commands not sent or given up (breaker open, connection down, failure, timeout); for /api/stats. */
  bypassed = 0;

  constructor(
    private readonly server: ServerProbe,
    private readonly settings: DeadlineSettings,
  ) {
    this.logger = new Logger(server.logContext);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** True when a command would be sent now (connected and breaker closed). */
  get isAvailable(): boolean {
    return this.admit();
  }

  /** up, degraded (answering, but slowly) or down (not connected, or found dead); with the reason. */
  health(): { state: CacheHealth; reason?: string } {
    const notConnected = this.server.notConnected();
    if (notConnected) return { state: 'down', reason: notConnected };
    if (this.open) return { state: 'down', reason: this.lastError || 'not answering' };
    if (this.probing || Date.now() < this.degradedUntil)
      return { state: 'degraded', reason: this.lastError || 'slow replies' };
    return { state: 'up' };
  }

  /** Runs a command within its kind's deadline and says what became of it (see Attempt). */
  async attempt<T>(send: () => Promise<T>, kind: CommandKind): Promise<Attempt<T>> {
    if (!this.admit()) {
      this.bypassed++;
      return { outcome: 'not-sent' };
    }
    const ms = commandDeadlineMs(kind, this.settings);
    const pending = send();
    try {
      const value = await withDeadline(pending, ms, () => new CommandTimeout(this.server.server, ms));
      this.connectionErrors = 0;
      return { outcome: 'done', value };
    } catch (e) {
      this.bypassed++;
      if (e instanceof CommandTimeout) {
        // A late reply still proves the server alive.
        pending.then(
          () => (this.connectionErrors = 0),
          () => undefined,
        );
      }
      this.onFailure(e as Error);
      return { outcome: 'unknown', reason: (e as Error).message };
    }
  }

  /** One probe at a time with the probe deadline: answered -> alive (breaker closed), not answered -> open. */
  probe(): Promise<boolean> {
    if (this.probing) return this.probing;
    const ms = this.settings.probeTimeoutMs;
    const ping = this.server.ping();
    let answered = false;
    ping.then(
      () => (answered = true),
      () => undefined,
    );
    this.probing = withDeadline(ping, ms, () => new CommandTimeout(this.server.server, ms))
      .catch(async (e: Error) => {
        // The answer may be in but not yet read: a process busy with a burst of its own reads its sockets late.
        // One pass of the event loop's I/O phase (before setImmediate) reads it, before the server is called dead.
        await new Promise((r) => setImmediate(r));
        if (!answered) throw e;
      })
      .then(
        () => {
          this.timeouts = [];
          this.connectionErrors = 0;
          if (this.open) this.logger.log(`${this.server.server} answers again: breaker closed`);
          this.open = false;
          return true;
        },
        (e: Error) => {
          this.trip(`no answer to a probe within ${ms} ms (${e.message})`);
          return false;
        },
      )
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  private admit(): boolean {
    // Not connected: the client is reconnecting in the background; do not wait for it.
    if (this.server.notConnected()) return false;
    if (!this.open) return true;
    if (Date.now() - this.openedAt >= this.settings.breakerCooldownMs) void this.probe();
    return false;
  }

  private onFailure(e: Error) {
    if (e instanceof CommandTimeout || /timed out/i.test(e.message)) return this.onTimeout(e);
    if (this.server.isReplyError(e)) return; // the server answered: healthy
    this.lastError = e.message;
    if (++this.connectionErrors >= CONNECTION_ERRORS_TO_OPEN) this.trip(e.message);
  }

  private onTimeout(e: Error) {
    const now = Date.now();
    this.lastError = e.message;
    this.degradedUntil = now + DEGRADED_FOR_MS;
    this.timeouts = this.timeouts.filter((t) => now - t < TIMEOUT_WINDOW_MS);
    this.timeouts.push(now);
    if (this.timeouts.length >= TIMEOUTS_TO_PROBE) void this.probe();
  }

  private trip(reason: string) {
    if (!this.open) {
      this.logger.warn(
        `${this.server.server} dead (${reason}); going to the source for ${this.settings.breakerCooldownMs} ms, then probing`,
      );
    }
    this.lastError = reason;
    this.open = true;
    this.openedAt = Date.now();
  }
}
