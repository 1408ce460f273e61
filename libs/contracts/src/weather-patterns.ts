import { CacheResult } from '@app/cache';

/**
 * Message patterns between the gateway and the weather-service, with their payloads and the reply's meta.
 * The weather data itself has the shape of OpenWeatherMap's "current weather" answer.
 */
export const WEATHER_PATTERNS = {
  current: { cmd: 'weather.current' },
  cities: { cmd: 'weather.cities' },
  evict: { cmd: 'weather.evict' },
} as const;

/** ISO 3166-1 alpha-2 country code. */
export const WEATHER_COUNTRY_PATTERN = /^[A-Za-z]{2}$/;
/** Postal codes as the world writes them: letters, digits and inner hyphens ("10115", "100-0001", "EC1A"). */
export const WEATHER_ZIP_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/;
/** Bounds of a per-request lock TTL; under a second the original demo silently broke. */
export const WEATHER_LOCK_TTL_BOUNDS = { min: 1000, max: 600_000 } as const;

export interface WeatherRequest {
  /** ISO 3166-1 alpha-2 code, any case. */
  country: string;
  zip: string;
  /** Force a miss: call the provider and overwrite the entry (`?refresh=true`). */
  refresh?: boolean;
  /** false: bypass the cache entirely (no read, no write); the "no cache" run of demo:weather. */
  cache?: boolean;
  /** Lock TTL for this request (demo:stampede --lock-ttl); default WEATHER_LOCK_TTL_MS. */
  lockTtlMs?: number;
}

export interface WeatherCityRequest {
  country: string;
  zip: string;
}

export interface WeatherCity {
  country: string;
  zip: string;
  name: string;
}

/**
 * How the request got its answer with respect to the stampede lock:
 * - none: a fresh cache hit, no lock involved;
 * - acquired: this request took the lock (and called the provider unless the value landed meanwhile);
 * - waited: another request held the lock; this one waited to be woken and was served what it stored;
 * - bypassed: no lock (cache=false, or the cache is unavailable and the provider was called directly).
 */
export type WeatherLockRole = 'none' | 'acquired' | 'waited' | 'bypassed';

/**
 * What ended a wait: the owner's fill notification (pub/sub), the value already there when the waiter looked once
 * more right after subscribing, the shared promise of this process, or the wait timing out (the owner vanished).
 */
export type WeatherWakeUp = 'notification' | 'recheck' | 'in-process' | 'timeout';

export interface WeatherMeta {
  lock: WeatherLockRole;
  /** Time spent waiting for another request's provider call (0 when none). */
  lockWaitMs: number;
  wokenBy?: WeatherWakeUp;
  /** Duration of the provider call this request made (only when it made one). */
  upstreamMs?: number;
  /** When the provider produced the value served (ISO time). */
  fetchedAt?: string;
  /** How long a value stays fresh (WEATHER_CACHE_TTL) and how much of that is left for this one. */
  ttlSeconds?: number;
  expiresInSeconds?: number;
  /** Served past its freshness because the provider failed; `staleReason` says how. */
  stale?: boolean;
  staleReason?: string;
  /** This hit was close to expiry and started a background refresh. */
  earlyRefresh?: boolean;
  /** The cache could not be used (down or breaker open): the provider was called directly. */
  cacheUnavailable?: boolean;
}

/** The weather-service's answer: the cached read plus the lock's account of it (the gateway's envelope meta). */
export interface WeatherResult extends CacheResult<CurrentWeather> {
  weather: WeatherMeta;
}

/** OpenWeatherMap "current weather" (metric units), as the mock provider answers it. */
export interface CurrentWeather {
  coord: { lon: number; lat: number };
  weather: Array<{ id: number; main: string; description: string; icon: string }>;
  base: string;
  main: {
    temp: number;
    feels_like: number;
    temp_min: number;
    temp_max: number;
    pressure: number;
    humidity: number;
  };
  visibility: number;
  wind: { speed: number; deg: number };
  clouds: { all: number };
  dt: number;
  sys: { country: string; sunrise: number; sunset: number };
  timezone: number;
  id: number;
  name: string;
  cod: number;
}
