import { IncomingMessage, ServerResponse } from 'node:http';
import { CurrentWeather, WeatherCity } from '@app/contracts';
import {
  readJsonObject,
  sendJson as send,
  StandInCounters,
  StandInTimers,
  startStandInServer,
} from '@app/platform';
import { CITIES, City, cityId, findCity } from './cities';

/** Runtime-adjustable behaviour of the mock provider (failure injection and latency). */
export interface ProviderFaults {
  minDelayMs: number;
  maxDelayMs: number;
  /** Share of weather calls answered with HTTP 500. */
  errorRate: number;
  /** Share of weather calls never answered (the client's timeout decides). */
  timeoutRate: number;
}

export interface ProviderStats {
  /** Weather calls received (every one, whatever its outcome): the figure demos and tests check. */
  calls: number;
  ok: number;
  notFound: number;
  badRequest: number;
  errors: number;
  timeouts: number;
  /** Calls per city id ("US:10001"). */
  byCity: Record<string, number>;
  since: string;
}

export interface ProviderOptions extends ProviderFaults {
  host?: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** Called when a weather answer is sent (tests and the bench order events against it). */
  onReply?: (cityId: string, status: number) => void;
}

export interface WeatherProviderHandle {
  url: string;
  port: number;
  stats(): ProviderStats;
  resetStats(): void;
  faults(): ProviderFaults;
  setFaults(patch: Partial<ProviderFaults>): ProviderFaults;
  close(): Promise<void>;
}

/** Thrown by setFaults for a bad value; the HTTP API answers it as 400 naming the field. */
export class FaultSettingError extends Error {}

const PATH_WEATHER = '/data/2.5/weather';
const MAX_DELAY_MS = 60_000;
/** A "timed out" call is held at most this long, then dropped; clients give up far earlier. */
const HANG_MS = 10 * 60_000;

/**
 * A stand-in for OpenWeatherMap on its own HTTP port, so every lookup the weather-service makes is a real
 * remote call with real latency. `GET /data/2.5/weather?zip={zip},{country}` answers the "current weather"
 * shape after a random delay, 404 for an unknown city. `/admin/stats` counts the calls (GET, DELETE resets)
 * and `/admin/faults` injects errors and timeouts at runtime (GET, PUT a JSON patch).
 */
export async function startWeatherProvider(options: ProviderOptions): Promise<WeatherProviderHandle> {
  let faults = validateFaults({
    minDelayMs: options.minDelayMs,
    maxDelayMs: options.maxDelayMs,
    errorRate: options.errorRate,
    timeoutRate: options.timeoutRate,
  });
  const counters = new StandInCounters(emptyStats);
  const timers = new StandInTimers();
  const later = (ms: number, fn: () => void) => timers.later(ms, fn);

  const weather = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    counters.now.calls++;
    const [zip, country] = (query.get('zip') ?? '').split(',').map((s) => s.trim());
    const delay = faults.minDelayMs + Math.random() * (faults.maxDelayMs - faults.minDelayMs);
    const id = zip && country ? cityId(country, zip) : '';
    if (id) counters.now.byCity[id] = (counters.now.byCity[id] ?? 0) + 1;
    const reply = (status: number, body: unknown) => {
      send(res, status, body);
      options.onReply?.(id, status);
    };

    // Decide the outcome up front so that failure shares are exact over many calls.
    const roll = Math.random();
    if (roll < faults.timeoutRate) {
      counters.now.timeouts++;
      const t = later(HANG_MS, () => res.destroy());
      req.on('close', () => timers.cancel(t));
      return;
    }
    const failing = roll < faults.timeoutRate + faults.errorRate;
    later(delay, () => {
      if (res.destroyed) return;
      if (!id) {
        counters.now.badRequest++;
        return reply(400, { cod: '400', message: 'zip must be "{zip code},{country code}"' });
      }
      if (failing) {
        counters.now.errors++;
        return reply(500, { cod: '500', message: 'internal error (injected failure)' });
      }
      const city = findCity(country, zip);
      if (!city) {
        counters.now.notFound++;
        return reply(404, { cod: '404', message: 'city not found' });
      }
      counters.now.ok++;
      reply(200, currentWeather(city));
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    const route = `${req.method} ${url.pathname}`;
    try {
      if (counters.serve(route, res)) return;
      switch (route) {
        case `GET ${PATH_WEATHER}`:
          return weather(req, res, url.searchParams);
        case 'GET /cities':
          return send(
            res,
            200,
            CITIES.map(({ country, zip, name }): WeatherCity => ({ country, zip, name })),
          );
        case 'GET /admin/faults':
          return send(res, 200, faults);
        case 'PUT /admin/faults':
          return readJsonObject(req, 10_000)
            .then((patch) => {
              faults = validateFaults({ ...faults, ...(patch as Partial<ProviderFaults>) });
              send(res, 200, faults);
            })
            .catch((e: Error) =>
              send(res, 400, { statusCode: 400, error: 'Bad Request', message: e.message }),
            );
        default:
          return send(res, 404, { cod: '404', message: `no route ${route}` });
      }
    } catch (e) {
      send(res, 500, { cod: '500', message: (e as Error).message });
    }
  };
  const server = await startStandInServer(
    { port: options.port, host: options.host, timers, keepAliveTimeoutMs: 30_000 },
    handler,
  );

  return {
    url: server.url,
    port: server.port,
    stats: () => counters.snapshot(),
    resetStats: () => counters.reset(),
    faults: () => ({ ...faults }),
    setFaults: (patch) => (faults = validateFaults({ ...faults, ...patch })),
    close: () => server.close(),
  };
}

function emptyStats(): ProviderStats {
  return {
    calls: 0,
    ok: 0,
    notFound: 0,
    badRequest: 0,
    errors: 0,
    timeouts: 0,
    byCity: {},
    since: new Date().toISOString(),
  };
}

export function validateFaults(f: ProviderFaults): ProviderFaults {
  const check = (name: keyof ProviderFaults, min: number, max: number) => {
    const v = f[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new FaultSettingError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
  };
  check('minDelayMs', 0, MAX_DELAY_MS);
  check('maxDelayMs', 0, MAX_DELAY_MS);
  check('errorRate', 0, 1);
  check('timeoutRate', 0, 1);
  if (f.maxDelayMs < f.minDelayMs)
    throw new FaultSettingError(`maxDelayMs must be >= minDelayMs (${f.minDelayMs})`);
  if (f.errorRate + f.timeoutRate > 1)
    throw new FaultSettingError('errorRate + timeoutRate must not exceed 1');
  const unknown = Object.keys(f).filter(
    (k) => !['minDelayMs', 'maxDelayMs', 'errorRate', 'timeoutRate'].includes(k),
  );
  if (unknown.length) throw new FaultSettingError(`unknown setting ${unknown.join(', ')}`);
  return {
    minDelayMs: f.minDelayMs,
    maxDelayMs: f.maxDelayMs,
    errorRate: f.errorRate,
    timeoutRate: f.timeoutRate,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Plausible weather: a climate from latitude, the hour of the day at the city, and some noise.

const CONDITIONS = [
  { id: 800, main: 'Clear', description: 'clear sky', icon: '01' },
  { id: 801, main: 'Clouds', description: 'few clouds', icon: '02' },
  { id: 803, main: 'Clouds', description: 'broken clouds', icon: '04' },
  { id: 500, main: 'Rain', description: 'light rain', icon: '10' },
  { id: 701, main: 'Mist', description: 'mist', icon: '50' },
  { id: 211, main: 'Thunderstorm', description: 'thunderstorm', icon: '11' },
];
const SNOW = { id: 600, main: 'Snow', description: 'light snow', icon: '13' };

const round1 = (n: number) => Math.round(n * 10) / 10;
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];

function currentWeather(city: City): CurrentWeather {
  const now = Math.floor(Date.now() / 1000);
  const localHour = ((((now + city.timezone) % 86400) + 86400) % 86400) / 3600;
  const daily = -Math.cos(((localHour - 3) / 24) * 2 * Math.PI); // coldest around 3 am, warmest around 3 pm
  const temp = round1(29 - Math.abs(city.lat) * 0.45 + daily * 4 + (Math.random() - 0.5) * 3);
  const condition = temp < 1 && Math.random() < 0.5 ? SNOW : pick(CONDITIONS);
  const isDay = localHour >= 6 && localHour < 18;
  const midnight = now - Math.floor(localHour * 3600);
  return {
    coord: { lon: city.lon, lat: city.lat },
    weather: [{ ...condition, icon: condition.icon + (isDay ? 'd' : 'n') }],
    base: 'stations',
    main: {
      temp,
      feels_like: round1(temp - Math.random() * 2),
      temp_min: round1(temp - 1 - Math.random() * 2),
      temp_max: round1(temp + 1 + Math.random() * 2),
      pressure: Math.round(1000 + Math.random() * 30),
      humidity: Math.round(35 + Math.random() * 60),
    },
    visibility: condition.main === 'Mist' ? 3000 : 10000,
    wind: { speed: round1(Math.random() * 9), deg: Math.floor(Math.random() * 360) },
    clouds: { all: condition.main === 'Clear' ? 0 : Math.floor(20 + Math.random() * 80) },
    dt: now,
    sys: { country: city.country, sunrise: midnight + 6 * 3600, sunset: midnight + 18 * 3600 },
    timezone: city.timezone,
    id: cityNumber(city),
    name: city.name,
    cod: 200,
  };
}

/** A stable numeric id per city, like OpenWeatherMap's city ids. */
function cityNumber(city: City): number {
  let h = 2166136261;
  for (const ch of cityId(city.country, city.zip)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % 10_000_000;
}
