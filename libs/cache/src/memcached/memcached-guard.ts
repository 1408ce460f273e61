import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/platform/config';
import {
  CacheHealth,
  CommandKind,
  commandDeadlineMs,
  CONNECTION_ERRORS_TO_OPEN,
  DEGRADED_FOR_MS,
  TIMEOUT_WINDOW_MS,
  TIMEOUTS_TO_PROBE,
} from '../cache-guard';
import { withDeadline } from '../deadline';
import { isMemcachedReplyError, MemcachedConnection } from './memcached-connection';

class MemcachedTimeout extends Error {
  constructor(ms: number) {
    super(`memcached command timed out after ${ms} ms`);
    this.name = 'MemcachedTimeout';
  }
}

/**
 * The failure detector of the memcached connection, with CacheGuard's rules and deadlines: connection errors
 * in a row or an unanswered probe (`version`) open the breaker (commands are not sent, reads go to the source),
 * timeouts alone only make it "degraded", a "no" reply (NOT_STORED...) is an answer. After
 * CACHE_BREAKER_COOLDOWN_MS a probe decides whether to close it again. Callers get `undefined` instead of errors.
 */
export class MemcachedGuard {
  private readonly logger = new Logger('MemcachedGuard');
  private open = false;
  private openedAt = 0;
  private connectionErrors = 0;
  private timeouts: number[] = [];
  private probing?: Promise<boolean>;
  private degradedUntil = 0;
  private lastError = '';
  bypassed = 0;

  constructor(
    readonly connection: MemcachedConnection,
    private readonly config: AppConfig,
  ) {}

  get isAvailable(): boolean {
    return this.admit();
  }

  get probeTimeoutMs(): number {
    return this.config.cache.probeTimeoutMs;
  }

  get readTimeoutMs(): number {
    return this.config.cache.commandTimeoutMs;
  }

  health(): { state: CacheHealth; reason?: string } {
    if (this.open) return { state: 'down', reason: this.lastError || 'not answering' };
    if (this.probing || Date.now() < this.degradedUntil)
      return { state: 'degraded', reason: this.lastError || 'slow replies' };
    return { state: 'up' };
  }

  /** Runs a command within its deadline; undefined when memcached is unavailable, too slow, or failed. */
  async run<T>(
    op: (c: MemcachedConnection) => Promise<T>,
    kind: CommandKind = 'read',
  ): Promise<T | undefined> {
    if (!this.admit()) {
      this.bypassed++;
      return undefined;
    }
    const ms = commandDeadlineMs(kind, this.config.cache);
    const pending = op(this.connection);
    try {
      const value = await withDeadline(pending, ms, () => new MemcachedTimeout(ms));
      this.connectionErrors = 0;
      return value;
    } catch (e) {
      this.bypassed++;
      if (e instanceof MemcachedTimeout) {
        pending.then(
          () => (this.connectionErrors = 0),
          () => undefined,
        );
        this.onTimeout(e);
      } else if (!isMemcachedReplyError(e)) {
        this.lastError = (e as Error).message;
        if (++this.connectionErrors >= CONNECTION_ERRORS_TO_OPEN) this.trip(this.lastError);
      }
      return undefined;
    }
  }

  /** One `version` at a time with the probe deadline; true when answered (the breaker closes). */
  probe(): Promise<boolean> {
    if (this.probing) return this.probing;
    const ms = this.config.cache.probeTimeoutMs;
    this.probing = withDeadline(this.connection.version(), ms, () => new MemcachedTimeout(ms))
      .then(
        () => {
          this.timeouts = [];
          this.connectionErrors = 0;
          if (this.open) this.logger.log('memcached answers again: breaker closed');
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
    if (!this.open) return true;
    if (Date.now() - this.openedAt >= this.config.cache.breakerCooldownMs) void this.probe();
    return false;
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
        `memcached dead (${reason}); going to the source for ${this.config.cache.breakerCooldownMs} ms, then probing`,
      );
    }
    this.lastError = reason;
    this.open = true;
    this.openedAt = Date.now();
  }
}
