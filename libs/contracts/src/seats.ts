/**
 * Seat layout of an aircraft, derived from its capacity alone (FlughafenDB has no seat maps): a fixed number of
 * seats per row by size class, rows numbered from 1, and seats exist while their index is below capacity.
 * The generator, the seat bitmap (bit offset = seat index) and booking validation all use this one definition.
 */
export interface SeatLayout {
  capacity: number;
  letters: string;
  rows: number;
}

export function seatLayout(capacity: number): SeatLayout {
  const letters = capacity <= 60 ? 'ABCD' : capacity <= 220 ? 'ABCDEF' : 'ABCDEFGHJK';
  return { capacity, letters, rows: Math.ceil(capacity / letters.length) };
}

/** Index of a seat such as "12C", or null when it does not exist on an aircraft of this capacity. */
export function seatIndex(seat: string, capacity: number): number | null {
  const m = /^([1-9][0-9]{0,2})([A-K])$/.exec(seat);
  if (!m) return null;
  const layout = seatLayout(capacity);
  const letter = layout.letters.indexOf(m[2]);
  if (letter < 0) return null;
  const index = (Number(m[1]) - 1) * layout.letters.length + letter;
  return index < capacity ? index : null;
}

/** The seat name at an index (inverse of seatIndex). */
export function seatName(index: number, capacity: number): string {
  const { letters } = seatLayout(capacity);
  return `${Math.floor(index / letters.length) + 1}${letters[index % letters.length]}`;
}

/** Syntactic check only (row 1-999, a seat letter); use seatIndex to check it exists on the aircraft. */
export const SEAT_PATTERN = /^[1-9][0-9]{0,2}[A-K]$/;
