import { createHash } from 'node:crypto';
import { seatLayout, seatName } from '@app/contracts';
import { Prng, ZipfSampler } from './prng';
import {
  AIRLINE_NAME_SUFFIXES,
  AIRPORT_NAME_SUFFIXES,
  DEPARTMENTS,
  FIRST_NAMES_FEMALE,
  FIRST_NAMES_MALE,
  HUB_IATAS,
  LAST_NAMES,
  NAME_SYLLABLES,
  PLACES,
  REAL_AIRCRAFT_TYPES,
  REAL_AIRLINES,
  REAL_AIRPORTS,
  RealAirport,
  STREET_NAMES,
  SYNTHETIC_REGIONS,
  WEATHER_KINDS,
} from './reference-data';
import { REFERENCE_COUNTS, SCALE_SPECS, Scale, ScaleSpec } from './scales';

/**
 * One table's rows as lines in the text format both bulk loaders read: tab-separated, `\N` for NULL, backslash
 * escapes (MySQL/MariaDB LOAD DATA defaults and PostgreSQL COPY text format agree on all three).
 */
export interface TableSource {
  table: string;
  columns: string[];
  /** MySQL/MariaDB only: column -> SET expression over `@column` (e.g. building a POINT from text). */
  mysqlSet?: Record<string, string>;
  /** Exact number of rows lines() yields. */
  rows: number;
  lines(): Iterable<string>;
}

/** A table with one row per item, ids 1..n in item order; `line` renders the tab-separated columns. */
function rowPerItem<T>(
  table: string,
  columns: string[],
  items: ArrayLike<T>,
  line: (item: T, id: number) => string,
): TableSource {
  return {
    table,
    columns,
    rows: items.length,
    *lines() {
      for (let i = 0; i < items.length; i++) yield `${line(items[i], i + 1)}\n`;
    },
  };
}

/** What other suites may rely on at every scale. */
export const SEED_FIXTURES = {
  /**
   * The dashboard's default flight: an upcoming JFK -> LAX flight (a week after the day the data was generated)
   * with bookings and free seats, so the guided path (details, route search, seat map, booking) works as it reads.
   */
  dashboardFlightId: 115,
  dashboardRoute: ['JFK', 'LAX'] as readonly [string, string],
  /** Days after the generation day that flight departs (fewer when the scale's window is shorter). */
  dashboardFlightDaysAhead: 7,
  hubs: HUB_IATAS,
  /** Routes with at least one flight on every day of the window (today-3 .. today+14 at least). */
  dailyRoutes: [
    ['JFK', 'LAX'],
    ['LAX', 'JFK'],
  ] as ReadonlyArray<readonly [string, string]>,
} as const;

const DAY_MS = 86_400_000;
/** The schedule of the dashboard's default flight: the second JFK -> LAX schedule (DL, daily at 13:30). */
const DASHBOARD_SCHEDULE = 1;

/** A real airport, or a synthetic one, which may have no IATA code. */
type Airport = Omit<RealAirport, 'iata'> & { iata: string | null };

interface Schedule {
  flightno: string;
  from: number;
  to: number;
  departureMin: number;
  durationMin: number;
  airlineId: number;
  /** Bit 0 = Monday ... bit 6 = Sunday. */
  days: number;
  distanceKm: number;
}

/** Escapes a string for the tab-separated text format; null becomes \N. */
function text(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${formatDate(ms)} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:00`;
}

function formatTime(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}:00`;
}

function distanceKm(a: Airport, b: Airport): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function syntheticName(rng: Prng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) s += rng.pick(NAME_SYLLABLES);
  return capitalize(s);
}

function asciiLower(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/**
 * Deterministic FlughafenDB data: the same (scale, seed, today) gives the same rows, in the same order, on every
 * engine. Reference tables and the flight plan live in memory (a few MB even at `large`); passengers, bookings and
 * weather are produced row by row while they stream into the database, so memory stays flat at any scale.
 */
export class FlughafenGenerator {
  readonly spec: ScaleSpec;
  /** UTC midnight of "today": flights straddle it. */
  readonly todayMs: number;

  private readonly airports: Airport[];
  private readonly geoCount = REFERENCE_COUNTS.airportGeo;
  private readonly airlines: Array<{ iata: string; name: string; base: number }>;
  private readonly types: Array<{ identifier: string; description: string; seats: number }>;
  private readonly airplaneCapacity: Uint16Array;
  private readonly airplaneType: Int32Array;
  private readonly airplaneAirline: Int32Array;
  private readonly schedules: Schedule[];
  // The flight plan: index = flight_id - 1.
  private readonly flightSchedule: Int32Array;
  private readonly flightDay: Int32Array;
  private readonly flightAirplane: Int32Array;
  private readonly flightBookings: Int32Array;
  readonly bookingCount: number;

  constructor(
    readonly scale: Scale,
    readonly seed = 1,
    today: Date = new Date(),
  ) {
    this.spec = SCALE_SPECS[scale];
    this.todayMs = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
    this.airports = this.makeAirports();
    this.airlines = this.makeAirlines();
    this.types = this.makeAirplaneTypes();
    const fleet = this.makeAirplanes();
    this.airplaneCapacity = fleet.capacity;
    this.airplaneType = fleet.type;
    this.airplaneAirline = fleet.airline;
    this.schedules = this.makeSchedules();
    const plan = this.makeFlightPlan(fleet.byAirline);
    this.flightSchedule = plan.schedule;
    this.flightDay = plan.day;
    this.flightAirplane = plan.airplane;
    this.flightBookings = plan.bookings;
    this.bookingCount = plan.bookings.reduce((a, b) => a + b, 0);
  }

  get flightCount(): number {
    return this.flightSchedule.length;
  }

  private rng(stream: string): Prng {
    return new Prng(this.seed, stream);
  }

  // ---------------------------------------------------------------- reference tables

  private makeAirports(): Airport[] {
    const rng = this.rng('airport');
    const airports: Airport[] = REAL_AIRPORTS.map((a) => ({ ...a }));
    const iatas = new Set(airports.map((a) => a.iata!));
    const icaos = new Set(airports.map((a) => a.icao));
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const code = (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += letters[rng.int(26)];
      return s;
    };
    while (airports.length < REFERENCE_COUNTS.airport) {
      const region = rng.pick(SYNTHETIC_REGIONS);
      const city = syntheticName(rng, rng.between(2, 3));
      // Like the real dump, small airfields often have an ICAO code only.
      let iata: string | null = null;
      if (rng.chance(0.7)) {
        do iata = code(3);
        while (iatas.has(iata));
        iatas.add(iata);
      }
      let icao: string;
      do icao = code(4);
      while (icaos.has(icao));
      icaos.add(icao);
      airports.push({
        iata,
        icao,
        name: `${city} ${rng.pick(AIRPORT_NAME_SUFFIXES)}`,
        city,
        country: region.country,
        lat: region.lat[0] + rng.next() * (region.lat[1] - region.lat[0]),
        lon: region.lon[0] + rng.next() * (region.lon[1] - region.lon[0]),
      });
    }
    return airports;
  }

  private airportId(iata: string): number {
    const index = this.airports.findIndex((a) => a.iata === iata);
    if (index < 0) throw new Error(`Unknown airport ${iata}`);
    return index + 1;
  }

  private makeAirlines() {
    const rng = this.rng('airline');
    const airlines = REAL_AIRLINES.map((a) => ({ iata: a.iata, name: a.name, base: this.airportId(a.base) }));
    const codes = new Set(airlines.map((a) => a.iata));
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    while (airlines.length < REFERENCE_COUNTS.airline) {
      let iata: string;
      // IATA airline codes never consist of two digits.
      do iata = chars[rng.int(26)] + chars[rng.int(36)];
      while (codes.has(iata));
      codes.add(iata);
      const name = `${syntheticName(rng, 2)} ${rng.pick(AIRLINE_NAME_SUFFIXES)}`.slice(0, 30);
      airlines.push({ iata, name, base: 1 + rng.int(400) });
    }
    return airlines;
  }

  private makeAirplaneTypes() {
    const rng = this.rng('airplane_type');
    const types = REAL_AIRCRAFT_TYPES.map((t) => ({
      identifier: `${t.maker} ${t.identifier}`,
      description: `${t.maker} ${t.identifier}, typically ${t.seats} seats.`,
      seats: t.seats,
    }));
    let variant = 1;
    while (types.length < REFERENCE_COUNTS.airplaneType) {
      const base = rng.pick(REAL_AIRCRAFT_TYPES);
      const seats = Math.min(550, Math.max(20, Math.round(base.seats * (0.85 + rng.next() * 0.3))));
      types.push({
        identifier: `${base.maker} ${base.identifier} (variant ${variant++})`,
        description: `Customer variant of the ${base.maker} ${base.identifier} with ${seats} seats.`,
        seats,
      });
    }
    return types;
  }

  private makeAirplanes() {
    const rng = this.rng('airplane');
    const n = REFERENCE_COUNTS.airplane;
    const capacity = new Uint16Array(n);
    const type = new Int32Array(n);
    const airline = new Int32Array(n);
    const byAirline: number[][] = this.airlines.map(() => []);
    const typePick = new ZipfSampler(this.types.length, 1.0, 5);
    const airlinePick = new ZipfSampler(this.airlines.length, 1.0, 5);
    for (let i = 0; i < n; i++) {
      // Every airline owns at least three aircraft; the rest go mostly to the big carriers.
      const airlineIndex = i < this.airlines.length * 3 ? i % this.airlines.length : airlinePick.sample(rng);
      const typeIndex = typePick.sample(rng);
      type[i] = typeIndex + 1;
      airline[i] = airlineIndex + 1;
      capacity[i] = Math.max(20, Math.round(this.types[typeIndex].seats * (0.92 + rng.next() * 0.12)));
      byAirline[airlineIndex].push(i + 1);
    }
    return { capacity, type, airline, byAirline };
  }

  private makeSchedules(): Schedule[] {
    const rng = this.rng('flightschedule');
    const schedules: Schedule[] = [];
    const counters = this.airlines.map(() => 100);
    const airlineId = (iata: string) => this.airlines.findIndex((a) => a.iata === iata) + 1;
    const baseAirline = new Map<number, number>();
    this.airlines.forEach((a, i) => {
      if (!baseAirline.has(a.base)) baseAirline.set(a.base, i + 1);
    });
    const add = (from: number, to: number, airline: number, days: number, departureMin: number) => {
      const km = distanceKm(this.airports[from - 1], this.airports[to - 1]);
      schedules.push({
        flightno: `${this.airlines[airline - 1].iata}${counters[airline - 1]++}`,
        from,
        to,
        departureMin,
        durationMin: Math.max(30, Math.round((25 + km / 13.3) / 5) * 5),
        airlineId: airline,
        days,
        distanceKm: km,
      });
    };
    const daily = 0x7f;
    const randomDeparture = () => 300 + 5 * rng.int(226);

    // Fixtures: the workshop's JFK<->LAX route flies several times a day, every day.
    const [jfk, lax] = [this.airportId('JFK'), this.airportId('LAX')];
    add(jfk, lax, airlineId('AA'), daily, 8 * 60);
    add(jfk, lax, airlineId('DL'), daily, 13 * 60 + 30);
    add(jfk, lax, airlineId('B6'), daily, 19 * 60 + 15);
    add(lax, jfk, airlineId('AA'), daily, 7 * 60);
    add(lax, jfk, airlineId('DL'), daily, 12 * 60 + 45);
    add(lax, jfk, airlineId('B6'), daily, 22 * 60 + 30);
    // Every hub connects daily to every other hub.
    const hubs = HUB_IATAS.map((h) => this.airportId(h));
    for (const from of hubs) {
      for (const to of hubs) {
        if (from === to || (from === jfk && to === lax) || (from === lax && to === jfk)) continue;
        add(from, to, baseAirline.get(from) ?? airlineId('AA'), daily, randomDeparture());
      }
    }
    // The rest: Zipf-popular airports, so a few routes are hot and most are quiet.
    const airportPick = new ZipfSampler(this.airports.length, 1.0, 5);
    const airlinePick = new ZipfSampler(this.airlines.length, 1.0, 5);
    while (schedules.length < REFERENCE_COUNTS.flightschedule) {
      const from = airportPick.sample(rng) + 1;
      let to: number;
      do to = airportPick.sample(rng) + 1;
      while (to === from);
      const airline =
        rng.chance(0.5) && baseAirline.has(from) ? baseAirline.get(from)! : airlinePick.sample(rng) + 1;
      let days = daily;
      if (schedules.length >= 1_000) {
        days = 0;
        for (let d = 0; d < 7; d++) if (rng.chance(0.7)) days |= 1 << d;
        if (days === 0) days = 1 << rng.int(7);
      }
      add(from, to, airline, days, randomDeparture());
    }
    return schedules;
  }

  // ---------------------------------------------------------------- flight plan

  private get windowDays(): number {
    return this.spec.daysBefore + 1 + this.spec.daysAfter;
  }

  private dayMs(day: number): number {
    return this.todayMs + (day - this.spec.daysBefore) * DAY_MS;
  }

  private makeFlightPlan(fleets: number[][]) {
    const rng = this.rng('flight');
    const operated = this.schedules
      .slice(0, this.spec.schedules)
      .map((s, index) => ({ s, index }))
      .sort((a, b) => a.s.departureMin - b.s.departureMin || a.index - b.index);
    const schedule: number[] = [];
    const day: number[] = [];
    const airplane: number[] = [];
    for (let d = 0; d < this.windowDays; d++) {
      const weekdayBit = 1 << ((new Date(this.dayMs(d)).getUTCDay() + 6) % 7);
      for (const { s, index } of operated) {
        if (!(s.days & weekdayBit)) continue;
        const fleet = fleets[s.airlineId - 1];
        schedule.push(index);
        day.push(d);
        airplane.push(fleet[rng.int(fleet.length)]);
      }
    }
    this.placeDashboardFlight(schedule, day, airplane);
    // Bookings per flight: proportional to capacity, busier on popular schedules, thinner the further ahead.
    const n = schedule.length;
    const weight = new Float64Array(n);
    let total = 0;
    for (let f = 0; f < n; f++) {
      const popularity = 1.5 - schedule[f] / this.spec.schedules;
      const ahead = day[f] - this.spec.daysBefore;
      const timeFactor = ahead <= 0 ? 1 : 1 - (0.6 * ahead) / Math.max(1, this.spec.daysAfter);
      weight[f] = this.airplaneCapacity[airplane[f] - 1] * popularity * timeFactor;
      total += weight[f];
    }
    const k = this.spec.bookings / total;
    const bookings = new Int32Array(n);
    for (let f = 0; f < n; f++) {
      const capacity = this.airplaneCapacity[airplane[f] - 1];
      // Always leave a few seats free, so booking a seat on any flight is possible.
      const maxBooked = capacity - Math.max(1, Math.ceil(capacity * 0.03));
      bookings[f] = Math.min(maxBooked, Math.max(1, Math.round(k * weight[f] * (0.7 + 0.6 * rng.next()))));
    }
    return {
      schedule: Int32Array.from(schedule),
      day: Int32Array.from(day),
      airplane: Int32Array.from(airplane),
      bookings,
    };
  }

  /**
   * Swaps the dashboard's default flight into place: flight SEED_FIXTURES.dashboardFlightId becomes the daily
   * JFK -> LAX schedule's flight (DL, 13:30) of the day a week ahead, and that flight takes its old id. Everything
   * else keeps its id; both flights keep their bookings' rules (the booking plan is computed after the swap).
   */
  private placeDashboardFlight(schedule: number[], day: number[], airplane: number[]): void {
    const target = SEED_FIXTURES.dashboardFlightId - 1;
    const wantedDay =
      this.spec.daysBefore + Math.min(SEED_FIXTURES.dashboardFlightDaysAhead, this.spec.daysAfter);
    const found = schedule.findIndex((s, f) => s === DASHBOARD_SCHEDULE && day[f] === wantedDay);
    if (found < 0 || target >= schedule.length || found === target) return;
    for (const a of [schedule, day, airplane]) [a[target], a[found]] = [a[found], a[target]];
  }

  // ---------------------------------------------------------------- table sources, in load order

  tables(): TableSource[] {
    return [
      this.airportTable(),
      this.airportGeoTable(),
      this.airlineTable(),
      this.airplaneTypeTable(),
      this.airplaneTable(),
      this.scheduleTable(),
      this.flightTable(),
      this.passengerTable(),
      this.passengerDetailsTable(),
      this.bookingTable(),
      this.employeeTable(),
      this.weatherTable(),
    ];
  }

  private airportTable(): TableSource {
    return rowPerItem('airport', ['airport_id', 'iata', 'icao', 'name'], this.airports, (a, id) =>
      [id, text(a.iata), a.icao, text(a.name)].join('\t'),
    );
  }

  private airportGeoTable(): TableSource {
    const airports = this.airports;
    const count = this.geoCount;
    return {
      table: 'airport_geo',
      columns: ['airport_id', 'name', 'city', 'country', 'latitude', 'longitude', 'geolocation'],
      // The text is PostgreSQL's point literal "(x,y)"; MySQL/MariaDB parse it into a POINT.
      mysqlSet: { geolocation: `ST_PointFromText(CONCAT('POINT', REPLACE(@geolocation, ',', ' ')))` },
      rows: count,
      *lines() {
        // Like the real dump, a few airports (the last ones) have no geo row.
        for (let i = 0; i < count; i++) {
          const a = airports[i];
          const lat = a.lat.toFixed(8);
          const lon = a.lon.toFixed(8);
          yield `${i + 1}\t${text(a.name)}\t${text(a.city)}\t${text(a.country)}\t${lat}\t${lon}\t(${lon},${lat})\n`;
        }
      },
    };
  }

  private airlineTable(): TableSource {
    return rowPerItem(
      'airline',
      ['airline_id', 'iata', 'airlinename', 'base_airport'],
      this.airlines,
      (a, id) => [id, a.iata, text(a.name), a.base].join('\t'),
    );
  }

  private airplaneTypeTable(): TableSource {
    return rowPerItem('airplane_type', ['type_id', 'identifier', 'description'], this.types, (t, id) =>
      [id, text(t.identifier), text(t.description)].join('\t'),
    );
  }

  private airplaneTable(): TableSource {
    const { airplaneCapacity: capacity, airplaneType: type, airplaneAirline: airline } = this;
    return rowPerItem('airplane', ['airplane_id', 'capacity', 'type_id', 'airline_id'], capacity, (c, id) =>
      [id, c, type[id - 1], airline[id - 1]].join('\t'),
    );
  }

  private scheduleTable(): TableSource {
    const schedules = this.schedules;
    return {
      table: 'flightschedule',
      columns: [
        'flightno',
        'from',
        'to',
        'departure',
        'arrival',
        'airline_id',
        'monday',
        'tuesday',
        'wednesday',
        'thursday',
        'friday',
        'saturday',
        'sunday',
      ],
      rows: schedules.length,
      *lines() {
        for (const s of schedules) {
          let days = '';
          for (let d = 0; d < 7; d++) days += `\t${(s.days >> d) & 1}`;
          const times = `${formatTime(s.departureMin)}\t${formatTime(s.departureMin + s.durationMin)}`;
          yield `${s.flightno}\t${s.from}\t${s.to}\t${times}\t${s.airlineId}${days}\n`;
        }
      },
    };
  }

  private flightTable(): TableSource {
    const { flightSchedule, flightDay, flightAirplane, schedules } = this;
    const dayMs = (d: number) => this.dayMs(d);
    return {
      table: 'flight',
      columns: ['flight_id', 'flightno', 'from', 'to', 'departure', 'arrival', 'airline_id', 'airplane_id'],
      rows: flightSchedule.length,
      *lines() {
        for (let f = 0; f < flightSchedule.length; f++) {
          const s = schedules[flightSchedule[f]];
          const departure = dayMs(flightDay[f]) + s.departureMin * 60_000;
          const arrival = departure + s.durationMin * 60_000;
          yield `${f + 1}\t${s.flightno}\t${s.from}\t${s.to}\t${formatDateTime(departure)}\t${formatDateTime(arrival)}\t${s.airlineId}\t${flightAirplane[f]}\n`;
        }
      },
    };
  }

  /** A passenger's name and passport, a pure function of (seed, id) so passengerdetails can agree with it. */
  private static passengerIdentity(seed: number, id: number) {
    const r = new Prng(seed, `passenger:${id}`);
    const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
    // The digits are a bijection of the id (7919 is coprime to 10^7), so passport numbers are unique.
    const digits = String((id * 7919 + 1_234_567) % 10_000_000).padStart(7, '0');
    const passport = `${letters[r.int(letters.length)]}${letters[r.int(letters.length)]}${digits}`;
    const female = r.chance(0.5);
    const first = female ? r.pick(FIRST_NAMES_FEMALE) : r.pick(FIRST_NAMES_MALE);
    return { passport, female, first, last: r.pick(LAST_NAMES) };
  }

  private passengerTable(): TableSource {
    const count = this.spec.passengers;
    const seed = this.seed;
    return {
      table: 'passenger',
      columns: ['passenger_id', 'passportno', 'firstname', 'lastname'],
      rows: count,
      *lines() {
        for (let id = 1; id <= count; id++) {
          const p = FlughafenGenerator.passengerIdentity(seed, id);
          yield `${id}\t${p.passport}\t${text(p.first)}\t${text(p.last)}\n`;
        }
      },
    };
  }

  /** Like the real dump, a few passengers have no details row (every 64th). */
  private static hasDetails(passengerId: number): boolean {
    return passengerId % 64 !== 0;
  }

  private passengerDetailsTable(): TableSource {
    const count = this.spec.passengers;
    const rng = () => this.rng('passengerdetails');
    const seed = this.seed;
    const birthBase = Date.UTC(1940, 0, 1);
    return {
      table: 'passengerdetails',
      columns: [
        'passenger_id',
        'birthdate',
        'sex',
        'street',
        'city',
        'zip',
        'country',
        'emailaddress',
        'telephoneno',
      ],
      rows: count - Math.floor(count / 64),
      *lines() {
        const r = rng();
        for (let id = 1; id <= count; id++) {
          if (!FlughafenGenerator.hasDetails(id)) continue;
          const p = FlughafenGenerator.passengerIdentity(seed, id);
          yield `${id}\t${personFields(r, birthBase, p.female, p.first, p.last)}\n`;
        }
      },
    };
  }

  private bookingTable(): TableSource {
    const { flightSchedule, flightAirplane, flightBookings, airplaneCapacity, schedules } = this;
    const passengers = this.spec.passengers;
    const rng = () => this.rng('booking');
    return {
      table: 'booking',
      columns: ['booking_id', 'flight_id', 'seat', 'passenger_id', 'price'],
      rows: this.bookingCount,
      *lines() {
        const r = rng();
        const popular = new ZipfSampler(passengers, 0.9, 20);
        const lastFlightOf = new Int32Array(passengers + 1);
        const seatNames = new Map<number, string[]>();
        const perm = new Uint16Array(1024);
        let bookingId = 0;
        for (let f = 0; f < flightSchedule.length; f++) {
          const flightId = f + 1;
          const capacity = airplaneCapacity[flightAirplane[f] - 1];
          let names = seatNames.get(capacity);
          if (!names) {
            names = Array.from({ length: capacity }, (_v, i) => seatName(i, capacity));
            seatNames.set(capacity, names);
          }
          const perRow = seatLayout(capacity).letters.length;
          // Bigger aircraft sell their first rows as business class.
          const businessSeats = capacity > 100 ? perRow * 3 : 0;
          const basePrice = 40 + schedules[flightSchedule[f]].distanceKm * 0.09;
          for (let i = 0; i < capacity; i++) perm[i] = i;
          const count = flightBookings[f];
          for (let i = 0; i < count; i++) {
            // Partial Fisher-Yates: distinct seats, each one that exists on this aircraft.
            const j = i + r.int(capacity - i);
            const seat = perm[j];
            perm[j] = perm[i];
            perm[i] = seat;
            // Frequent flyers are hot keys; one passenger never holds two seats on the same flight.
            let passenger = popular.sample(r) + 1;
            for (let tries = 0; lastFlightOf[passenger] === flightId && tries < 4; tries++) {
              passenger = popular.sample(r) + 1;
            }
            for (let scan = 0; lastFlightOf[passenger] === flightId && scan < passengers; scan++) {
              passenger = (passenger % passengers) + 1;
            }
            lastFlightOf[passenger] = flightId;
            const price = basePrice * (seat < businessSeats ? 3.2 : 1) * (0.75 + 0.6 * r.next());
            yield `${++bookingId}\t${flightId}\t${names[seat]}\t${passenger}\t${price.toFixed(2)}\n`;
          }
        }
      },
    };
  }

  private employeeTable(): TableSource {
    const rng = () => this.rng('employee');
    const count = REFERENCE_COUNTS.employee;
    const birthBase = Date.UTC(1960, 0, 1);
    return {
      table: 'employee',
      columns: [
        'employee_id',
        'firstname',
        'lastname',
        'birthdate',
        'sex',
        'street',
        'city',
        'zip',
        'country',
        'emailaddress',
        'telephoneno',
        'salary',
        'department',
        'username',
        'password',
      ],
      rows: count,
      *lines() {
        const r = rng();
        for (let id = 1; id <= count; id++) {
          const female = r.chance(0.5);
          const first = female ? r.pick(FIRST_NAMES_FEMALE) : r.pick(FIRST_NAMES_MALE);
          const last = r.pick(LAST_NAMES);
          const person = personFields(r, birthBase, female, first, last);
          const username = `${asciiLower(first).charAt(0)}${asciiLower(last)}`.slice(0, 14) + id;
          const password = createHash('md5').update(`${username}:${id}`).digest('hex');
          const salary = (2000 + r.int(700_000) / 100).toFixed(2);
          yield `${id}\t${text(first)}\t${text(last)}\t${person}\t${salary}\t${r.pick(DEPARTMENTS)}\t${username}\t${password}\n`;
        }
      },
    };
  }

  private weatherTable(): TableSource {
    const { weatherStations, weatherEveryMinutes } = this.spec;
    const days = this.windowDays;
    const slots = 1440 / weatherEveryMinutes;
    const rng = () => this.rng('weatherdata');
    const dayMs = (d: number) => this.dayMs(d);
    return {
      table: 'weatherdata',
      columns: [
        'log_date',
        'time',
        'station',
        'temp',
        'humidity',
        'airpressure',
        'wind',
        'weather',
        'winddirection',
      ],
      rows: days * slots * weatherStations,
      *lines() {
        const r = rng();
        // Stations are the busiest airports' ids; rows come in primary-key order.
        for (let d = 0; d < days; d++) {
          const date = formatDate(dayMs(d));
          for (let slot = 0; slot < slots; slot++) {
            const time = formatTime(slot * weatherEveryMinutes);
            for (let station = 1; station <= weatherStations; station++) {
              const temp = (-15 + r.next() * 50).toFixed(1);
              const humidity = (20 + r.next() * 80).toFixed(1);
              const pressure = (960 + r.next() * 80).toFixed(2);
              const wind = (r.next() * 90).toFixed(2);
              const weather = r.chance(0.4) ? r.pick(WEATHER_KINDS) : '\\N';
              yield `${date}\t${time}\t${station}\t${temp}\t${humidity}\t${pressure}\t${wind}\t${weather}\t${r.int(360)}\n`;
            }
          }
        }
      },
    };
  }
}

/** birthdate .. telephoneno of a person (shared by passengerdetails and employee). */
function personFields(r: Prng, birthBase: number, female: boolean, first: string, last: string): string {
  const birthdate = formatDate(birthBase + r.int(50 * 365) * DAY_MS);
  const [city, country] = r.pick(PLACES);
  const street = `${r.pick(STREET_NAMES)} ${1 + r.int(200)}`;
  const zip = 1000 + r.int(31_000);
  const email = r.chance(0.9) ? `${asciiLower(first)}.${asciiLower(last)}${r.int(1000)}@example.com` : null;
  const phone = r.chance(0.85)
    ? `+${1 + r.int(98)} ${100 + r.int(900)} ${1_000_000 + r.int(9_000_000)}`
    : null;
  return `${birthdate}\t${female ? 'f' : 'm'}\t${text(street)}\t${text(city)}\t${zip}\t${text(country)}\t${text(email)}\t${text(phone)}`;
}
