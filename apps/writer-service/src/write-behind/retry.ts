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
