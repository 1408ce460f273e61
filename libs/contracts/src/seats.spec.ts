import { SEAT_PATTERN, seatIndex, seatLayout, seatName } from './seats';

describe('seatLayout', () => {
  it('picks seats per row by size class, with no seat letter I', () => {
    expect(seatLayout(20)).toEqual({ capacity: 20, letters: 'ABCD', rows: 5 });
    expect(seatLayout(60).letters).toBe('ABCD');
    expect(seatLayout(61).letters).toBe('ABCDEF');
    expect(seatLayout(220).letters).toBe('ABCDEF');
    expect(seatLayout(221).letters).toBe('ABCDEFGHJK');
    expect(seatLayout(500).letters).not.toContain('I');
  });

  it('rounds the number of rows up (a partial last row)', () => {
    expect(seatLayout(58).rows).toBe(15);
    expect(seatLayout(180).rows).toBe(30);
    expect(seatLayout(181).rows).toBe(31);
  });
});

describe('seatIndex', () => {
  it('numbers seats row by row from 0', () => {
    expect(seatIndex('1A', 180)).toBe(0);
    expect(seatIndex('1F', 180)).toBe(5);
    expect(seatIndex('2A', 180)).toBe(6);
    expect(seatIndex('12C', 180)).toBe(68);
    expect(seatIndex('1D', 40)).toBe(3);
    expect(seatIndex('2A', 40)).toBe(4);
  });

  it('refuses a letter the aircraft does not have', () => {
    expect(seatIndex('1E', 40)).toBeNull(); // four abreast
    expect(seatIndex('1G', 180)).toBeNull(); // six abreast
    expect(seatIndex('1I', 300)).toBeNull(); // no I on any aircraft
    expect(seatIndex('1K', 300)).toBe(9);
  });

  it('refuses seats past the capacity, even in the last partial row', () => {
    expect(seatIndex('3B', 10)).toBe(9);
    expect(seatIndex('3C', 10)).toBeNull();
    expect(seatIndex('31A', 180)).toBeNull();
  });

  it('refuses what is not a seat name', () => {
    for (const bad of ['', '0A', '01A', '1000A', '12', 'A1', '1a', ' 1A', '1A ', '1AA', '-1A', '1.5A']) {
      expect(seatIndex(bad, 300)).toBeNull();
    }
  });
});

describe('seatName', () => {
  it('is the inverse of seatIndex for every seat of every size class', () => {
    for (const capacity of [1, 10, 58, 60, 61, 180, 220, 221, 299, 853]) {
      for (let i = 0; i < capacity; i++) expect(seatIndex(seatName(i, capacity), capacity)).toBe(i);
    }
  });

  it('orders seats as on the aircraft: by row number, then letter ("2A" before "10A")', () => {
    const seats = ['10A', '2B', '1C', '2A', '1A', '10F'];
    const byIndex = [...seats].sort((a, b) => seatIndex(a, 180)! - seatIndex(b, 180)!);
    expect(byIndex).toEqual(['1A', '1C', '2A', '2B', '10A', '10F']);
  });
});

describe('SEAT_PATTERN', () => {
  it('checks the syntax only: row 1-999 and a letter A-K', () => {
    expect(['1A', '999K', '12I'].every((s) => SEAT_PATTERN.test(s))).toBe(true);
    expect(['0A', '1000A', '1L', '1a', 'A1'].some((s) => SEAT_PATTERN.test(s))).toBe(false);
  });
});
