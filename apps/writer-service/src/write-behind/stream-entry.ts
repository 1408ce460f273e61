import type { StreamBooking } from './flush.repository';

/** An entry as XREADGROUP / XAUTOCLAIM return it; fields are null for an entry deleted while still pending. */
export type StreamEntry = [id: string, fields: string[] | null];

/** A write-behind booking from its stream entry (flat [name, value, name, value, ...] fields). */
export function parseStreamEntry(streamId: string, fields: string[]): StreamBooking {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return {
    streamId,
    reference: f.reference,
    flightId: Number(f.flightId),
    passengerId: Number(f.passengerId),
    seat: f.seat,
    seatIndex: Number(f.seatIndex),
    price: f.price,
    passportNo: f.passportNo,
    fromIata: f.fromIata,
    toIata: f.toIata,
    departureDate: f.departureDate,
    acceptedAt: f.acceptedAt,
  };
}

/** The bookings of a batch: an entry deleted from the stream but still pending has nothing to write. */
export function bookingsOf(entries: StreamEntry[]): StreamBooking[] {
  return entries.filter((e) => e[1] !== null).map(([id, fields]) => parseStreamEntry(id, fields!));
}
