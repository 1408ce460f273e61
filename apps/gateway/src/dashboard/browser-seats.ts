import { SEAT_PATTERN, seatIndex, seatLayout, seatName } from '@app/contracts';

/**
 * The seat-layout rules as a browser script (`window.Seats`), generated from the very functions the writer and the
 * generator use, so the seat map on the page can never disagree with booking validation.
 * The functions are self-contained (no imports), which is what makes Function#toString safe here.
 */
export function browserSeatsScript(): string {
  const functions = [seatLayout, seatIndex, seatName].map((fn) => fn.toString()).join('\n');
  return [
    '/* Generated from libs/contracts/src/seats.ts: do not edit. */',
    'window.Seats = (function () {',
    '"use strict";',
    functions,
    `return { seatLayout: seatLayout, seatIndex: seatIndex, seatName: seatName, SEAT_PATTERN: ${SEAT_PATTERN.toString()} };`,
    '})();',
    '',
  ].join('\n');
}
