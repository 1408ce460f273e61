/**
 * Bounds how often the same failure is logged: its first occurrence at once, then at most one line per `everyMs`
 * that says how many were left out meanwhile. A different failure (another key), or `reset()` after a success,
 * starts over.
 */
export class RepeatLimiter {
  private last?: { key: string; loggedAt: number; suppressed: number };

  constructor(private readonly everyMs = 10_000) {}

  /**
   * Whether this occurrence of `key` is logged, and how many occurrences were left out since the last one
   * logged (to add to the line).
   */
  take(key: string, now = Date.now()): { log: boolean; suppressed: number } {
    const last = this.last;
    if (!last || last.key !== key) {
      this.last = { key, loggedAt: now, suppressed: 0 };
      return { log: true, suppressed: 0 };
    }
    if (now - last.loggedAt < this.everyMs) {
      last.suppressed++;
      return { log: false, suppressed: 0 };
    }
    const suppressed = last.suppressed;
    this.last = { key, loggedAt: now, suppressed: 0 };
    return { log: true, suppressed };
  }

  reset(): void {
    this.last = undefined;
  }
}

/** " (n more since the last report)" when some were left out, else "". */
export function suppressedNote(suppressed: number): string {
  return suppressed > 0 ? ` (${suppressed} more like it since the last report)` : '';
}
