import { Injectable } from '@nestjs/common';
import { metricSpec, MetricsRegistry } from '@app/platform';
import { WriteBehindFlusher } from './flusher';

/** This process's flusher, read when Prometheus scrapes: bookings finished (the flush rate), batches, retries. */
@Injectable()
export class FlusherMetrics {
  constructor(metrics: MetricsRegistry, flusher: WriteBehindFlusher) {
    const totals = flusher.totals;
    metrics.counter({
      name: 'cmiyc_write_behind_flushed_total',
      help: metricSpec('cmiyc_write_behind_flushed_total').help,
      labelNames: ['outcome'],
      collect() {
        this.reset();
        this.inc({ outcome: 'persisted' }, totals.persisted);
        this.inc({ outcome: 'refused' }, totals.failed);
      },
    });
    metrics.counter({
      name: 'cmiyc_write_behind_batches_total',
      help: metricSpec('cmiyc_write_behind_batches_total').help,
      collect() {
        this.reset();
        this.inc(totals.batches);
      },
    });
    metrics.counter({
      name: 'cmiyc_write_behind_retries_total',
      help: metricSpec('cmiyc_write_behind_retries_total').help,
      collect() {
        this.reset();
        this.inc(totals.retries);
      },
    });
  }
}
