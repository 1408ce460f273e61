/**
 * Dataset sizes. Reference tables (airports, airlines, aircraft, schedules, employees) have the real dump's row
 * counts at every scale; the scale decides how many schedules operate flights, over which window around today,
 * and how many passengers and bookings there are.
 */
export type Scale = 'tiny' | 'small' | 'medium' | 'large';

export const SCALES: readonly Scale[] = ['tiny', 'small', 'medium', 'large'];

export interface ScaleSpec {
  /** How many schedules (hottest first) operate flights. */
  schedules: number;
  /** Flights run from today - daysBefore to today + daysAfter (inclusive). */
  daysBefore: number;
  daysAfter: number;
  passengers: number;
  /** Target booking count; the generator lands close to it (never over capacity). */
  bookings: number;
  /** Weather stations (the busiest airports) and minutes between readings. */
  weatherStations: number;
  weatherEveryMinutes: number;
}

export const SCALE_SPECS: Record<Scale, ScaleSpec> = {
  tiny: {
    schedules: 40,
    daysBefore: 3,
    daysAfter: 14,
    passengers: 500,
    bookings: 4_000,
    weatherStations: 5,
    weatherEveryMinutes: 60,
  },
  small: {
    schedules: 700,
    daysBefore: 14,
    daysAfter: 30,
    passengers: 15_000,
    bookings: 500_000,
    weatherStations: 30,
    weatherEveryMinutes: 60,
  },
  medium: {
    schedules: 3_000,
    daysBefore: 30,
    daysAfter: 30,
    passengers: 30_000,
    bookings: 5_000_000,
    weatherStations: 80,
    weatherEveryMinutes: 30,
  },
  large: {
    schedules: 9_851,
    daysBefore: 29,
    daysAfter: 28,
    passengers: 36_346,
    // Aimed a little high: flights that would overflow are capped below capacity, landing near the dump's 50.8 M.
    bookings: 51_800_000,
    weatherStations: 200,
    weatherEveryMinutes: 30,
  },
};

/** Row counts of the real dump's reference tables, reproduced at every scale. */
export const REFERENCE_COUNTS = {
  airport: 9_939,
  airportGeo: 9_854,
  airline: 113,
  airplaneType: 342,
  airplane: 5_583,
  flightschedule: 9_851,
  employee: 1_000,
} as const;

export function isScale(value: string): value is Scale {
  return (SCALES as readonly string[]).includes(value);
}
