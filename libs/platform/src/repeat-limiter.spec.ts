import { RepeatLimiter, suppressedNote } from './repeat-limiter';

describe('RepeatLimiter', () => {
  it('logs the first occurrence, then at most once per interval with the count left out', () => {
    const limiter = new RepeatLimiter(1000);
    expect(limiter.take('down', 0)).toEqual({ log: true, suppressed: 0 });
    expect(limiter.take('down', 100)).toEqual({ log: false, suppressed: 0 });
    expect(limiter.take('down', 999)).toEqual({ log: false, suppressed: 0 });
    expect(limiter.take('down', 1000)).toEqual({ log: true, suppressed: 2 });
    expect(limiter.take('down', 1500)).toEqual({ log: false, suppressed: 0 });
    expect(limiter.take('down', 2000)).toEqual({ log: true, suppressed: 1 });
  });

  it('a retry every 100 ms for a minute gives a bounded number of lines', () => {
    const limiter = new RepeatLimiter(10_000);
    let lines = 0;
    for (let t = 0; t < 60_000; t += 100) if (limiter.take('NOGROUP', t).log) lines++;
    expect(lines).toBe(6);
  });

  it('a different failure is logged at once; reset() starts over', () => {
    const limiter = new RepeatLimiter(1000);
    expect(limiter.take('a', 0).log).toBe(true);
    expect(limiter.take('b', 10).log).toBe(true);
    expect(limiter.take('b', 20).log).toBe(false);
    limiter.reset();
    expect(limiter.take('b', 30)).toEqual({ log: true, suppressed: 0 });
  });

  it('suppressedNote says how many were left out, or nothing', () => {
    expect(suppressedNote(0)).toBe('');
    expect(suppressedNote(3)).toBe(' (3 more like it since the last report)');
  });
});
