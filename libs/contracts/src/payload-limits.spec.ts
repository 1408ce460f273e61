import { PAYLOAD_LIMITS, shapeProblem } from './payload-limits';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

describe('shapeProblem', () => {
  it('accepts the flat bodies of the API and scalars', () => {
    expect(shapeProblem({ flightId: 1, passengerId: 2, seat: '12C', price: 10, mode: 'write-through' })).toBe(
      undefined,
    );
    expect(shapeProblem('text')).toBe(undefined);
    expect(shapeProblem(null)).toBe(undefined);
    expect(shapeProblem(nested(PAYLOAD_LIMITS.maxDepth))).toBe(undefined);
  });

  it('names the depth limit and its value, without recursing (100,000 levels)', () => {
    expect(shapeProblem(nested(PAYLOAD_LIMITS.maxDepth + 1), PAYLOAD_LIMITS, 'JSON body')).toBe(
      `JSON body is nested more than ${PAYLOAD_LIMITS.maxDepth} levels deep (limit: ${PAYLOAD_LIMITS.maxDepth} levels)`,
    );
    expect(shapeProblem(nested(100_000))).toMatch(/nested more than 16 levels/);
  });

  it('names the key limit and its value, counting the keys of every object', () => {
    const wide = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i]));
    expect(shapeProblem(wide)).toBe('payload has more than 128 keys (limit: 128 keys)');
    const spread = Array.from({ length: 20 }, () => ({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 }));
    expect(shapeProblem(spread)).toMatch(/more than 128 keys/);
    expect(shapeProblem(wide, { maxDepth: 4, maxKeys: 100_000 })).toBe(undefined);
  });
});
