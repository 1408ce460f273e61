import { Prng, ZipfSampler } from './prng';

const draw = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.next());

describe('Prng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    expect(draw(new Prng(1, 'passenger'), 50)).toEqual(draw(new Prng(1, 'passenger'), 50));
  });

  it('gives independent sequences per seed and per stream (table)', () => {
    const base = draw(new Prng(1, 'passenger'), 20);
    expect(draw(new Prng(2, 'passenger'), 20)).not.toEqual(base);
    expect(draw(new Prng(1, 'booking'), 20)).not.toEqual(base);
  });

  it('is uniform-ish in [0, 1)', () => {
    const values = draw(new Prng(7, 'x'), 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('int, between, pick and chance stay in their ranges', () => {
    const rng = new Prng(3);
    const ints = Array.from({ length: 2000 }, () => rng.int(6));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const between = Array.from({ length: 2000 }, () => rng.between(-2, 2));
    expect(new Set(between)).toEqual(new Set([-2, -1, 0, 1, 2]));
    expect(['a', 'b', 'c']).toContain(rng.pick(['a', 'b', 'c']));
    expect(Array.from({ length: 100 }, () => rng.chance(0)).some(Boolean)).toBe(false);
    expect(Array.from({ length: 100 }, () => rng.chance(1)).every(Boolean)).toBe(true);
  });
});

describe('ZipfSampler', () => {
  it('samples every index in range, the first ranks most often', () => {
    const zipf = new ZipfSampler(100, 1.1);
    const rng = new Prng(5, 'zipf');
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 50_000; i++) counts[zipf.sample(rng)]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(50_000);
    expect(counts[0]).toBeGreaterThan(counts[50]);
    expect(counts[50]).toBeGreaterThan(0);
    expect(counts.slice(0, 10).reduce((a, b) => a + b, 0)).toBeGreaterThan(
      counts.slice(90).reduce((a, b) => a + b, 0),
    );
  });

  it('a sampler of one always answers 0', () => {
    const rng = new Prng(1);
    expect(Array.from({ length: 10 }, () => new ZipfSampler(1, 1).sample(rng))).toEqual(
      new Array(10).fill(0),
    );
  });
});
