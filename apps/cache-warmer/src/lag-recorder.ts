import { Injectable } from '@nestjs/common';
import { CacheService, WriteKeys } from '@app/cache';

/** Lag samples kept (the newest), shared by every warmer process. */
export const LAG_SAMPLES = 1000;
/** Samples are pushed at most this long after they were measured... */
const FLUSH_EVERY_MS = 50;
/** ...or as soon as this many are waiting. */
const FLUSH_AT = 200;

/**
 * Invalidation lag (event committed -> its tagged keys gone), measured per event and pushed onto the capped list
 * every process adds to (WriteKeys.invalidationLag) in batches: one LPUSH + LTRIM per flush instead of a MULTI per
 * event, which under a burst was a round trip and four commands for every event. The lag is measured when the
 * keys are gone; only its publication waits (at most FLUSH_EVERY_MS). Statistics only: a flush the cache refuses
 * is dropped, never retried. The workers flush the last samples when they stop.
 */
@Injectable()
export class LagRecorder {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;

  /** Sees every sample (ms) as it is measured: the warmer's Prometheus histogram (LagMetrics). */
  onSample?: (ms: number) => void;

  constructor(private readonly cache: CacheService) {}

  record(occurredAt: string): void {
    const ms = Math.max(0, Date.now() - Date.parse(occurredAt));
    this.onSample?.(ms);
    this.pending.push(String(ms));
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const samples = this.pending;
    this.pending = [];
    const key = this.cache.key(WriteKeys.invalidationLag());
    await this.cache.guard((c) =>
      c
        .multi()
        .lpush(key, ...samples)
        .ltrim(key, 0, LAG_SAMPLES - 1)
        .exec(),
    );
  }
}
