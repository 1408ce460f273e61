import { MAX_BACKOFF_MS, RepeatLimiter, backoffMs, isMissingGroupError, suppressedNote } from './retry';

describe('backoffMs', () => {
  it('starts at 100 ms and doubles', () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([100, 200, 400, 800, 1600, 3200]);
  });

  it('never exceeds the cap, however many attempts (no overflow to Infinity)', () => {
    expect(backoffMs(7)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(1000)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(Number.MAX_SAFE_INTEGER)).toBe(MAX_BACKOFF_MS);
  });

  it('treats attempt 0 or below as the first', () => {
    expect(backoffMs(0)).toBe(100);
    expect(backoffMs(-3)).toBe(100);
  });
});

describe('isMissingGroupError', () => {
  it('recognises NOGROUP and a blocked read whose stream was deleted', () => {
    expect(
      isMissingGroupError(
        new Error("NOGROUP No such key 'cmiyc:wb:bookings' or consumer group 'wb-flushers' in XREADGROUP"),
      ),
    ).toBe(true);
    expect(isMissingGroupError(new Error('UNBLOCKED the stream key no longer exists'))).toBe(true);
  });

  it('does not mistake other failures for it', () => {
    expect(isMissingGroupError(new Error('BUSYGROUP Consumer Group name already exists'))).toBe(false);
    expect(isMissingGroupError(new Error('Connection is closed.'))).toBe(false);
    expect(isMissingGroupError(new Error('ERR no such key NOGROUP'))).toBe(false);
    expect(isMissingGroupError(undefined)).toBe(false);
  });
});

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
