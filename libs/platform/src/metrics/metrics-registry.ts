import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Metric,
  Registry,
} from 'prom-client';

/**
 * One Prometheus registry per app (not prom-client's global one: tests run several apps in one process). Every
 * series carries the label `app` (gateway, query-service, ...); the process metrics of prom-client
 * (`process_*`, `nodejs_*`) are included. Metric names are listed, with their meaning, in names.ts.
 */
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor(
    readonly app: string,
    options: { processMetrics?: boolean } = {},
  ) {
    this.registry.setDefaultLabels({ app });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /**
   * A metric whose values are read when Prometheus scrapes, from figures kept elsewhere (the statistics every
   * process adds to in Valkey, the queue server, a service's own totals). A read that fails yields no series for
   * that scrape rather than a failed scrape.
   */
  scraped(family: ScrapedFamily): void {
    this.registry.registerMetric(new ScrapedMetric(family) as unknown as Metric);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
}

export interface HistogramSeries {
  labels?: Labels;
  /** [upper bound, observations up to it] in ascending order, cumulative; +Inf is added from `count`. */
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

export type ScrapedFamily =
  | { name: string; help: string; type: 'counter' | 'gauge'; read: () => Promise<Sample[]> }
  | { name: string; help: string; type: 'histogram'; read: () => Promise<HistogramSeries[]> };

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry asks of a metric: get() -> name, help, type, values. */
class ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator = 'sum';

  constructor(private readonly family: ScrapedFamily) {
    this.name = family.name;
    this.help = family.help;
    this.type = family.type;
  }

  async get() {
    let values: Value[];
    try {
      values = await this.values();
    } catch {
      values = [];
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private async values(): Promise<Value[]> {
    const f = this.family;
    if (f.type !== 'histogram') {
      return (await f.read()).map((s) => ({ labels: { ...s.labels }, value: s.value }));
    }
    const out: Value[] = [];
    for (const s of await f.read()) {
      const labels = { ...s.labels };
      for (const [le, n] of s.buckets)
        out.push({ labels: { ...labels, le }, value: n, metricName: `${f.name}_bucket` });
      out.push({ labels: { ...labels, le: '+Inf' }, value: s.count, metricName: `${f.name}_bucket` });
      out.push({ labels, value: s.sum, metricName: `${f.name}_sum` });
      out.push({ labels, value: s.count, metricName: `${f.name}_count` });
    }
    return out;
  }
}

/**
 * One read shared by every metric of a scrape: the first asks, the others (within `maxAgeMs`) get the same
 * answer, so a scrape costs one round of the underlying queries, not one per metric.
 */
export function sharedRead<T>(read: () => Promise<T>, maxAgeMs = 1000): () => Promise<T> {
  let at = 0;
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending || Date.now() - at > maxAgeMs) {
      at = Date.now();
      pending = read();
      pending.catch(() => undefined);
    }
    return pending;
  };
}

/** Latency buckets (seconds) for requests answered in microseconds (a cache hit) to seconds (a slow load). */
export const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
