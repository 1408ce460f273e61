/**
 * How deep and how wide a request may be, checked before any validation: class-transformer and class-validator
 * walk a value recursively (10,000 levels overflow the stack: a 500) and spend time on every unknown key (60,000
 * of them stall the process for seconds). No request of the API comes near these limits: its bodies are flat
 * objects of a handful of fields.
 */
export interface ShapeLimits {
  /** Levels of objects and arrays: `{"a": 1}` is 1, `{"a": [1]}` is 2. */
  maxDepth: number;
  /** Keys of every object in the value, added up. */
  maxKeys: number;
}

export const PAYLOAD_LIMITS: ShapeLimits = { maxDepth: 16, maxKeys: 128 };

/**
 * What is wrong with a parsed value's shape, or undefined when it fits the limits. Iterative (an explicit stack,
 * never recursion) and it stops at the first limit passed, so it costs at most `maxKeys` keys and one array scan
 * per container, whatever it is given.
 */
export function shapeProblem(
  value: unknown,
  limits: ShapeLimits = PAYLOAD_LIMITS,
  what = 'payload',
): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  let keys = 0;
  const push = (child: unknown, depth: number) => {
    if (child !== null && typeof child === 'object') stack.push({ value: child, depth });
  };
  while (stack.length) {
    const next = stack.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limits.maxDepth)
      return `${what} is nested more than ${limits.maxDepth} levels deep (limit: ${limits.maxDepth} levels)`;
    if (Array.isArray(next.value)) {
      for (const child of next.value) push(child, next.depth + 1);
      continue;
    }
    // for...in rather than Object.keys: it stops at the key past the limit instead of listing them all first.
    const object = next.value as Record<string, unknown>;
    for (const key in object) {
      if (++keys > limits.maxKeys)
        return `${what} has more than ${limits.maxKeys} keys (limit: ${limits.maxKeys} keys)`;
      push(object[key], next.depth + 1);
    }
  }
  return undefined;
}
