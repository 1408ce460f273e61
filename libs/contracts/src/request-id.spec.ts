import {
  currentRequestId,
  isValidRequestId,
  REQUEST_ID_FIELD,
  requestContext,
  takeRequestId,
  withRequestId,
} from './request-id';

describe('request ids in messages', () => {
  it('a message sent within a request carries its id; outside one, the payload is unchanged', () => {
    const payload = { flightId: 115 };
    expect(withRequestId(payload)).toBe(payload);
    requestContext.run({ requestId: 'abc' }, () => {
      expect(currentRequestId()).toBe('abc');
      expect(withRequestId(payload)).toEqual({ flightId: 115, [REQUEST_ID_FIELD]: 'abc' });
    });
    // The caller's object is never changed.
    expect(payload).toEqual({ flightId: 115 });
  });

  it('leaves payloads that are not objects alone', () => {
    requestContext.run({ requestId: 'abc' }, () => {
      expect(withRequestId('x')).toBe('x');
      expect(withRequestId(null)).toBeNull();
      expect(withRequestId([1])).toEqual([1]);
    });
  });

  it('the service takes the id out of the payload (validation must not see it)', () => {
    const received: Record<string, unknown> = { flightId: 115, requestId: 'abc' };
    expect(takeRequestId(received)).toBe('abc');
    expect(received).toEqual({ flightId: 115 });
    expect(takeRequestId({ flightId: 115 })).toBeUndefined();
    expect(takeRequestId('text')).toBeUndefined();
  });

  it('an invalid id is taken out too, and not used', () => {
    const received: Record<string, unknown> = { requestId: 'two\nlines' };
    expect(takeRequestId(received)).toBeUndefined();
    expect(received).toEqual({});
  });

  it.each([
    ['9f0c1d2e-0000-4000-8000-000000000000', true],
    ['client-chosen.id:42', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['has space', false],
    ['line\nbreak', false],
    ['quote"', false],
  ])('%j is a valid request id: %s', (id, valid) => {
    expect(isValidRequestId(id)).toBe(valid);
  });
});
