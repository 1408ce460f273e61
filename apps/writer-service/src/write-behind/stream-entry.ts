import type { StreamBooking } from './flush.repository';

/** An entry as XREADGROUP / XAUTOCLAIM return it; fields are null for an entry deleted while still pending. */
export type StreamEntry = [id: string, fields: string[] | null];

/** A stream entry's flat [name, value, name, value, ...] fields by name (a dangling name is ignored). */
export function entryFields(fields: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return f;
}

/** The items of a batch: an entry deleted from the stream but still pending has nothing to write. */
export function itemsOf<T>(entries: StreamEntry[], parse: (streamId: string, fields: string[]) => T): T[] {
  return entries.filter((e) => e[1] !== null).map(([id, fields]) => parse(id, fields!));
}

/** Reads one field of a stream entry (undefined: the entry lacks it). */
export type FieldReader<V> = (value: string | undefined) => V;
export const text: FieldReader<string> = (v) => v as string;
export const num: FieldReader<number> = (v) => Number(v);
/** An empty field is null. */
export const textOrNull: FieldReader<string | null> = (v) => (v ? v : null);

/** A parser of stream entries into T: each field of T (but streamId) read by its reader. */
export function entryParser<T extends { streamId: string }>(readers: {
  [K in Exclude<keyof T, 'streamId'>]: FieldReader<T[K]>;
}): (streamId: string, fields: string[]) => T {
  const names = Object.keys(readers) as Array<Exclude<keyof T, 'streamId'>>;
  return (streamId, fields) => {
    const f = entryFields(fields);
    const item = { streamId } as T;
    for (const name of names) item[name] = readers[name](f[name as string]);
    return item;
  };
}

/** A write-behind booking from its stream entry. */
export const parseStreamEntry = entryParser<StreamBooking>({
  reference: text,
  flightId: num,
  passengerId: num,
  seat: text,
  seatIndex: num,
  price: text,
  passportNo: text,
  fromIata: text,
  toIata: text,
  departureDate: text,
  acceptedAt: text,
});

/** The bookings of a batch. */
export function bookingsOf(entries: StreamEntry[]): StreamBooking[] {
  return itemsOf(entries, parseStreamEntry);
}
