/** Stored for "not found": JSON never starts with a NUL, so it cannot collide with a real value. */
export const NOT_FOUND = '\u0000nf';

/** A stored JSON entry: its value, or null for the "not found" marker. */
export function parseJsonEntry<T>(raw: string): T | null {
  return raw === NOT_FOUND ? null : (JSON.parse(raw) as T);
}

/** True for the entry getOrLoad stores when the loader found nothing. */
export function isNotFoundEntry(raw: string): boolean {
  return raw === NOT_FOUND;
}
