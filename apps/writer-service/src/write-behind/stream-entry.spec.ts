import { StreamEntry, bookingsOf, parseStreamEntry } from './stream-entry';

const booking = {
  reference: 'WB-7Q2K9X',
  flightId: '1234',
  passengerId: '56',
  seat: '12C',
  seatIndex: '68',
  price: '199.90',
  passportNo: 'P0000056',
  fromIata: 'FRA',
  toIata: 'JFK',
  departureDate: '2030-05-01',
  acceptedAt: '2030-04-01T10:00:00.000Z',
};
const fields = (b: Record<string, string>) => Object.entries(b).flat();

describe('parseStreamEntry', () => {
  it('reads the flat field list of a stream entry into a typed booking', () => {
    expect(parseStreamEntry('1700000000000-0', fields(booking))).toEqual({
      streamId: '1700000000000-0',
      reference: 'WB-7Q2K9X',
      flightId: 1234,
      passengerId: 56,
      seat: '12C',
      seatIndex: 68,
      price: '199.90',
      passportNo: 'P0000056',
      fromIata: 'FRA',
      toIata: 'JFK',
      departureDate: '2030-05-01',
      acceptedAt: '2030-04-01T10:00:00.000Z',
    });
  });

  it('does not depend on the order of the fields, and keeps prices as written (no float rounding)', () => {
    const reversed = Object.entries(booking)
      .reverse()
      .flatMap(([k, v]) => [k, k === 'price' ? '0.10' : v]);
    const b = parseStreamEntry('1-1', reversed);
    expect(b.reference).toBe('WB-7Q2K9X');
    expect(b.seatIndex).toBe(68);
    expect(b.price).toBe('0.10');
  });

  it('ignores fields it does not know and a dangling name without a value', () => {
    const b = parseStreamEntry('1-2', [...fields(booking), 'extra', 'x', 'dangling']);
    expect(b).not.toHaveProperty('extra');
    expect(b).not.toHaveProperty('dangling');
  });

  it('leaves missing numbers as NaN and missing strings undefined (the repository then refuses the row)', () => {
    const b = parseStreamEntry('1-3', ['reference', 'WB-1']);
    expect(b.reference).toBe('WB-1');
    expect(b.flightId).toBeNaN();
    expect(b.seat).toBeUndefined();
  });
});

describe('bookingsOf', () => {
  it('skips entries deleted from the stream while pending (no fields) and keeps the order of the rest', () => {
    const entries: StreamEntry[] = [
      ['1-0', fields({ ...booking, reference: 'A' })],
      ['2-0', null],
      ['3-0', fields({ ...booking, reference: 'B' })],
    ];
    expect(bookingsOf(entries).map((b) => [b.streamId, b.reference])).toEqual([
      ['1-0', 'A'],
      ['3-0', 'B'],
    ]);
  });

  it('an empty batch has no bookings', () => {
    expect(bookingsOf([])).toEqual([]);
  });
});
