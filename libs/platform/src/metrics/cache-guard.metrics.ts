import { Injectable } from '@nestjs/common';
import { CacheGuard, CacheHealth } from '@app/cache';
import { MetricsRegistry } from './metrics-registry';
import { metricSpec } from './names';

const STATES: CacheHealth[] = ['up', 'degraded', 'down'];

/** This process's view of Valkey (CacheGuard, the failure detector): breaker, health, commands not sent. */
@Injectable()
export class CacheGuardMetrics {
  constructor(metrics: MetricsRegistry, guard: CacheGuard) {
    metrics.gauge({
      name: 'cmiyc_cache_breaker_open',
      help: metricSpec('cmiyc_cache_breaker_open').help,
      collect() {
        this.set(guard.breakerState === 'open' ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'cmiyc_cache_health',
      help: metricSpec('cmiyc_cache_health').help,
      labelNames: ['state'],
      collect() {
        const now = guard.health().state;
        for (const state of STATES) this.set({ state }, state === now ? 1 : 0);
      },
    });
    metrics.counter({
      name: 'cmiyc_cache_commands_bypassed_total',
      help: metricSpec('cmiyc_cache_commands_bypassed_total').help,
      collect() {
        this.reset();
        this.inc(guard.bypassed);
      },
    });
  }
}
