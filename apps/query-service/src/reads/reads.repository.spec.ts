import { dayRange } from './reads.repository';

describe('dayRange', () => {
  it('is [day 00:00, next day 00:00) as UTC timestamp literals', () => {
    expect(dayRange('2030-05-01')).toEqual({
      dayStart: '2030-05-01 00:00:00',
      dayEnd: '2030-05-02 00:00:00',
    });
  });

  it('crosses month, year and leap-day boundaries', () => {
    expect(dayRange('2030-04-30').dayEnd).toBe('2030-05-01 00:00:00');
    expect(dayRange('2030-12-31').dayEnd).toBe('2031-01-01 00:00:00');
    expect(dayRange('2028-02-28').dayEnd).toBe('2028-02-29 00:00:00');
    expect(dayRange('2030-02-28').dayEnd).toBe('2030-03-01 00:00:00');
  });

  it('is 24 hours whatever the machine time zone (no daylight-saving day of 23 or 25 hours)', () => {
    // The last Sunday of March / October: a local-time computation would give 23 or 25 hours in Europe.
    for (const day of ['2030-03-31', '2030-10-27']) {
      const { dayStart, dayEnd } = dayRange(day);
      expect(Date.parse(`${dayEnd.replace(' ', 'T')}Z`) - Date.parse(`${dayStart.replace(' ', 'T')}Z`)).toBe(
        86_400_000,
      );
    }
  });
});
