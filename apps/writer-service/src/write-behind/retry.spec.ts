import { MAX_BACKOFF_MS, backoffMs, isMissingGroupError } from './retry';

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
