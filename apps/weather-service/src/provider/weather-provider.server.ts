import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { CurrentWeather, WeatherCity } from '@app/contracts';
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
  let stats = emptyStats();
  const pending = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      pending.delete(t);
      fn();
    }, ms);
    pending.add(t);
    return t;
  };

  const weather = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    stats.calls++;
    const [zip, country] = (query.get('zip') ?? '').split(',').map((s) => s.trim());
    const delay = faults.minDelayMs + Math.random() * (faults.maxDelayMs - faults.minDelayMs);
    const id = zip && country ? cityId(country, zip) : '';
    if (id) stats.byCity[id] = (stats.byCity[id] ?? 0) + 1;
    const reply = (status: number, body: unknown) => {
      send(res, status, body);
      options.onReply?.(id, status);
    };

    // Decide the outcome up front so that failure shares are exact over many calls.
    const roll = Math.random();
    if (roll < faults.timeoutRate) {
      stats.timeouts++;
      const t = later(HANG_MS, () => res.destroy());
      req.on('close', () => {
        clearTimeout(t);
        pending.delete(t);
      });
      return;
    }
    const failing = roll < faults.timeoutRate + faults.errorRate;
    later(delay, () => {
      if (res.destroyed) return;
      if (!id) {
        stats.badRequest++;
        return reply(400, { cod: '400', message: 'zip must be "{zip code},{country code}"' });
      }
      if (failing) {
        stats.errors++;
        return reply(500, { cod: '500', message: 'internal error (injected failure)' });
      }
      const city = findCity(country, zip);
      if (!city) {
        stats.notFound++;
        return reply(404, { cod: '404', message: 'city not found' });
      }
      stats.ok++;
      reply(200, currentWeather(city));
    });
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case `GET ${PATH_WEATHER}`:
          return weather(req, res, url.searchParams);
        case 'GET /cities':
          return send(
            res,
            200,
            CITIES.map(({ country, zip, name }): WeatherCity => ({ country, zip, name })),
          );
        case 'GET /admin/stats':
          return send(res, 200, stats);
        case 'DELETE /admin/stats':
          stats = emptyStats();
          return send(res, 200, stats);
        case 'GET /admin/faults':
          return send(res, 200, faults);
        case 'PUT /admin/faults':
          return readJson(req)
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
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    faults: () => ({ ...faults }),
    setFaults: (patch) => (faults = validateFaults({ ...faults, ...patch })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
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

function send(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try {
        const parsed: unknown = JSON.parse(body || '{}');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('expected a JSON object');
        resolve(parsed);
      } catch (e) {
        reject(new Error(`invalid JSON body: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
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
