import { LATENCY_BUCKETS } from '@app/platform';
import { latencySeries } from './shared-figures';

describe('latencySeries: the shared latency histograms in Prometheus buckets', () => {
  it('counts each stored bucket under the first Prometheus bound at or above its upper bound, cumulatively', () => {
    const [series] = latencySeries({
      queryClass: 'flight',
      counters: { 'cache:count': 6, 'cache:ms': 1.5 },
      latency: {
        // [upper bound in ms, samples]: 0.08 ms, 0.1 ms (exactly on the 0.0001 s bound), 0.3 ms, 2 ms.
        cache: [
          [0.08, 1],
          [0.1, 2],
          [0.3, 2],
          [2, 1],
        ],
        database: [],
        upstream: [],
      },
    });
    expect(series.labels).toEqual({ query_class: 'flight', source: 'cache' });
    const at = (le: number) => series.buckets.find(([b]) => b === le)![1];
    expect(at(0.0001)).toBe(3);
    expect(at(0.00025)).toBe(3);
    expect(at(0.0005)).toBe(5);
    expect(at(0.001)).toBe(5);
    expect(at(0.0025)).toBe(6);
    expect(at(30)).toBe(6);
    expect(series.buckets.map(([b]) => b)).toEqual(LATENCY_BUCKETS);
    expect(series.count).toBe(6);
    expect(series.sum).toBeCloseTo(0.0015);
  });

  it('has a series only for the sources that were seen', () => {
    const series = latencySeries({
      queryClass: 'weather',
      counters: { 'upstream:count': 1, 'upstream:ms': 300 },
      latency: { cache: [], database: [], upstream: [[310, 1]] },
    });
    expect(series.map((s) => s.labels!.source)).toEqual(['upstream']);
    expect(series[0].buckets.find(([b]) => b === 0.25)![1]).toBe(0);
    expect(series[0].buckets.find(([b]) => b === 0.5)![1]).toBe(1);
  });
});
