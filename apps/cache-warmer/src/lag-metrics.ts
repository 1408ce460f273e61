import { Injectable } from '@nestjs/common';
import { metricSpec, MetricsRegistry } from '@app/platform';
import { LagRecorder } from './lag-recorder';

/** Invalidation lag as this warmer measures it, event by event, into a Prometheus histogram. */
@Injectable()
export class LagMetrics {
  constructor(metrics: MetricsRegistry, recorder: LagRecorder) {
    const lag = metrics.histogram({
      name: 'cmiyc_invalidation_lag_seconds',
      help: metricSpec('cmiyc_invalidation_lag_seconds').help,
      // Milliseconds when the warmer keeps up, seconds when a burst queues up.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    });
    recorder.onSample = (ms) => lag.observe(ms / 1000);
  }
}
