import type { AppConfig } from '@app/platform/config';
import { CacheHealth, CommandKind, FailureDetector } from '../failure-detector';
import { isMemcachedReplyError, MemcachedConnection } from './memcached-connection';

/**
 * The failure detector of the memcached connection, with CacheGuard's rules and deadlines (one FailureDetector):
 * connection errors in a row or an unanswered probe (`version`) open the breaker (commands are not sent, reads go
 * to the source), timeouts alone only make it "degraded", a "no" reply (NOT_STORED...) is an answer. After
 * CACHE_BREAKER_COOLDOWN_MS a probe decides whether to close it again. Callers get `undefined` instead of errors.
 */
export class MemcachedGuard {
  private readonly detector: FailureDetector;

  constructor(
    readonly connection: MemcachedConnection,
    private readonly config: AppConfig,
  ) {
    this.detector = new FailureDetector(
      {
        server: 'memcached',
        logContext: 'MemcachedGuard',
        ping: () => connection.version(),
        // The client connects on demand: a refused connection is a connection error like any other.
        notConnected: () => null,
        isReplyError: (e) => isMemcachedReplyError(e),
      },
      config.cache,
    );
  }

  get isAvailable(): boolean {
    return this.detector.isAvailable;
  }

  get probeTimeoutMs(): number {
    return this.config.cache.probeTimeoutMs;
  }

  get readTimeoutMs(): number {
    return this.config.cache.commandTimeoutMs;
  }

  get bypassed(): number {
    return this.detector.bypassed;
  }

  health(): { state: CacheHealth; reason?: string } {
    return this.detector.health();
  }

  /** Runs a command within its deadline; undefined when memcached is unavailable, too slow, or failed. */
  async run<T>(
    op: (c: MemcachedConnection) => Promise<T>,
    kind: CommandKind = 'read',
  ): Promise<T | undefined> {
    const attempt = await this.detector.attempt(() => op(this.connection), kind);
    return attempt.outcome === 'done' ? attempt.value : undefined;
  }

  /** One `version` at a time with the probe deadline; true when answered (the breaker closes). */
  probe(): Promise<boolean> {
    return this.detector.probe();
  }
}
