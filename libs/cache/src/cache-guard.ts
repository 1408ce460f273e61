import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '@app/platform/config';
import { AppConfig } from '@app/platform/config';
import { CACHE_CLIENT } from './valkey.module';
import { ValkeyClient } from './valkey-client';

type BreakerState = 'closed' | 'open' | 'half-open';

/** Consecutive failures that open the breaker. */
const FAILURES_TO_OPEN = 3;

/**
 * Every cache command goes through here. A dead or slow Valkey must cost a read microseconds, not seconds:
 * - the connection has no offline queue and a short command timeout, so a command fails fast;
 * - after a few consecutive failures the breaker opens and commands are not even sent for a cool-down;
 * - then one trial command is let through (half-open); its success closes the breaker again.
 * Callers get `undefined` instead of an exception and fall back to the database.
 */
@Injectable()
export class CacheGuard {
  private readonly logger = new Logger('CacheGuard');
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  /** Failures seen (including the ones short-circuited by the open breaker); exposed for /api/stats. */
  bypassed = 0;

  constructor(
    @Inject(CACHE_CLIENT) readonly client: ValkeyClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get prefix(): string {
    return this.config.cache.keyPrefix;
  }

  /** Prefixed key as stored in Valkey. */
  key(logical: string): string {
    return this.config.cache.keyPrefix + logical;
  }

  get breakerState(): BreakerState {
    return this.state;
  }

  /** True when a command would be sent now (connection ready and breaker not open). */
  get isAvailable(): boolean {
    if (this.client.status !== 'ready') return false;
    if (this.state === 'open') return Date.now() - this.openedAt >= this.config.cache.breakerCooldownMs;
    return !(this.state === 'half-open' && this.trialInFlight);
  }

  /** Runs a cache operation; `undefined` when the cache is unavailable, slow, or failed. */
  async run<T>(op: (client: ValkeyClient) => Promise<T>): Promise<T | undefined> {
    if (!this.admit()) {
      this.bypassed++;
      return undefined;
    }
    const trial = this.state === 'half-open';
    if (trial) this.trialInFlight = true;
    try {
      const result = await op(this.client);
      this.onSuccess();
      return result;
    } catch (e) {
      this.onFailure(e as Error);
      this.bypassed++;
      return undefined;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private admit(): boolean {
    // Not connected: iovalkey is reconnecting in the background; do not wait for it.
    if (this.client.status !== 'ready') return false;
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (Date.now() - this.openedAt < this.config.cache.breakerCooldownMs) return false;
      this.state = 'half-open';
    }
    return !this.trialInFlight;
  }

  private onSuccess() {
    if (this.state !== 'closed') this.logger.log('cache reachable again: breaker closed');
    this.state = 'closed';
    this.failures = 0;
  }

  private onFailure(e: Error) {
    this.failures++;
    if (this.state === 'half-open' || this.failures >= FAILURES_TO_OPEN) {
      if (this.state !== 'open') {
        this.logger.warn(
          `cache failing (${e.message}); reading from the database for ${this.config.cache.breakerCooldownMs} ms`,
        );
      }
      this.state = 'open';
      this.openedAt = Date.now();
    }
  }
}
