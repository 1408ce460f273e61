/** The longest wait between two attempts (database down, Valkey away). */
export const MAX_BACKOFF_MS = 5000;

/** Wait before retry number `attempt` (1-based): 100 ms, doubling, at most MAX_BACKOFF_MS. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(Math.max(attempt, 1) - 1, 10));
}

/**
 * The consumer group is gone: NOGROUP, or a blocked XREADGROUP woken because its stream key was deleted
 * ("UNBLOCKED the stream key no longer exists"). Re-creating the group (from the stream's start) fixes both.
 */
export function isMissingGroupError(e: unknown): boolean {
  const message = String((e as Error)?.message ?? e);
  return message.startsWith('NOGROUP') || /UNBLOCKED.*no longer exists/.test(message);
}

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
