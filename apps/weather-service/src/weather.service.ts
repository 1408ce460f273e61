import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import {
  CachedEntry,
  CachePrimitives,
  CacheResult,
  CacheService,
  CacheStatsService,
  InfraKeys,
  Keys,
  LoadFailedError,
  SourceTimeoutError,
} from '@app/cache';
import {
  CurrentWeather,
  WEATHER_COUNTRY_PATTERN,
  WEATHER_LOCK_TTL_BOUNDS,
  WEATHER_ZIP_PATTERN,
  WeatherCity,
  WeatherMeta,
  WEATHER,
  WeatherPayload,
  WeatherResult,
} from '@app/contracts';
import { WeatherProviderClient } from './weather-provider.client';

/** What is stored under Keys.weather: kept for ttl + stale grace, fresh until `freshUntil`. */
interface Entry {
  /** null: the provider does not know this city (negative entry). */
  data: CurrentWeather | null;
  fetchedAt: number;
  freshUntil: number;
}

/** A reading of a city's weather: what the engine serves (null value: the provider does not know the city). */
interface Reading {
  data: CurrentWeather;
  fetchedAt: number;
  freshUntil: number;
}

interface City {
  country: string;
  zip: string;
  key: string;
}

const QUERY_CLASS = WEATHER.current.queryClass;
/** The owner gives up on the provider this long before its lock would expire, so no one else can get in. */
const LOCK_SAFETY_MARGIN_MS = 200;

/**
 * The weather of a city from a slow external API, cached in Valkey behind the shared stampede engine
 * (CacheService.getOrBuild), with every protection it offers:
 * - one provider call per key across all processes (the owner-token lock; waiters woken by the fill notification);
 * - the provider call is bounded (WEATHER_UPSTREAM_TIMEOUT_MS, and within the lock's TTL);
 * - a failed call is shared with the requests that waited for it, which get the same 502/504 or the stale value;
 * - grace: values live WEATHER_STALE_GRACE past their freshness and are served, marked stale with the reason,
 *   when the provider fails;
 * - early refresh: a hit within WEATHER_EARLY_REFRESH of expiry refreshes the key in the background;
 * - a dead cache degrades to calling the provider directly.
 * This class only says how a weather entry is read, loaded and stored, and presents the engine's account.
 */
@Injectable()
export class WeatherService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: CacheService,
    private readonly stats: CacheStatsService,
    private readonly provider: WeatherProviderClient,
  ) {}

  async current(req: WeatherPayload<'current'>): Promise<WeatherResult> {
    const started = performance.now();
    const city = this.city(req.country, req.zip);
    const lockTtlMs = this.lockTtl(req.lockTtlMs);
    if (req.cache === false) return this.uncached(city, started);

    const { ttlSeconds, staleGraceSeconds, earlyRefreshSeconds, upstreamTimeoutMs } = this.config.weather;
    let result: CacheResult<Reading | null>;
    try {
      result = await this.cache.getOrBuild<Reading, Reading>({
        key: city.key,
        queryClass: QUERY_CLASS,
        refresh: req.refresh,
        tags: [],
        loaderSource: 'upstream',
        read: (kind) => this.read(city.key, kind),
        load: () => this.fetch(city, Math.min(upstreamTimeoutMs, lockTtlMs - LOCK_SAFETY_MARGIN_MS)),
        toValue: (reading) => reading,
        store: (reading, fence) => this.store(city, reading, fence),
        // The provider call is bounded by its own timeout; this is only a backstop.
        loaderTimeoutMs: upstreamTimeoutMs + 1000,
        graceMs: staleGraceSeconds * 1000,
        // Never more than half the TTL, or every hit of a fresh value would refresh it again.
        earlyRefreshMs: Math.min(earlyRefreshSeconds, ttlSeconds / 2) * 1000,
        lockTtlMs,
        // Bound the whole wait: an owner that vanished is replaced after its lock expires, never waited for forever.
        lockWaitMs: 2 * lockTtlMs + upstreamTimeoutMs,
        shareFailures: true,
      });
    } catch (e) {
      throw failureException(city, e);
    }
    if (result.value === null) throw notFound(city);
    return this.reply(city, result as CacheResult<Reading>, started);
  }

  /** The cities the provider knows (cached like any other provider answer). */
  async cities(): Promise<CacheResult<WeatherCity[]>> {
    const result = await this.cache.getOrLoad(Keys.weatherCities(), () => this.provider.cities(), {
      queryClass: QUERY_CLASS,
      ttl: this.config.weather.ttlSeconds,
      loaderSource: 'upstream',
    });
    return { ...result, value: result.value ?? [] };
  }

  /** Removes a city's cached weather (demos start cold with it); fenced, like every invalidation. */
  async evict(country: string, zip: string): Promise<{ cacheKey: string; deleted: number }> {
    const city = this.city(country, zip);
    const deleted = await this.cache.delete([city.key, InfraKeys.loadFailure(city.key)]);
    return { cacheKey: this.cache.key(city.key), deleted: Math.max(0, deleted) };
  }

  // -------------------------------------------------------------------------------------------------------------

  /** One provider call: a reading, null when the provider does not know the city, or a thrown failure. */
  private async fetch(city: City, timeoutMs: number): Promise<Reading | null> {
    const outcome = await this.provider.current(city.country, city.zip, timeoutMs);
    switch (outcome.kind) {
      case 'ok': {
        const now = Date.now();
        return {
          data: outcome.data,
          fetchedAt: now,
          freshUntil: now + this.config.weather.ttlSeconds * 1000,
        };
      }
      case 'not-found':
        return null;
      case 'timeout':
        throw new SourceTimeoutError(outcome.reason);
      default:
        throw new Error(outcome.reason);
    }
  }

  /** cache=false: straight to the provider, nothing read or written (the "no cache" run of demo:weather). */
  private async uncached(city: City, started: number): Promise<WeatherResult> {
    this.stats.count(QUERY_CLASS, 'loads');
    let reading: Reading | null;
    const loadStarted = performance.now();
    try {
      reading = await this.fetch(city, this.config.weather.upstreamTimeoutMs);
    } catch (e) {
      throw failureException(city, e);
    }
    if (reading === null) throw notFound(city);
    const latencyMs = performance.now() - started;
    this.stats.record(QUERY_CLASS, 'upstream', latencyMs);
    return this.reply(
      city,
      {
        value: reading,
        source: 'upstream',
        latencyMs,
        cacheKey: null,
        trace: { lock: 'bypassed', lockWaitMs: 0, loadMs: performance.now() - loadStarted },
      },
      started,
    );
  }

  /** The engine's account of the request, in the weather contract's terms. */
  private reply(city: City, r: CacheResult<Reading>, started: number): WeatherResult {
    const trace = r.trace ?? { lock: 'none', lockWaitMs: 0 };
    // Requests of this process that joined another one's load waited for it (the engine says they were served
    // from the cache when it stored the value).
    const joined = trace.coalesced && trace.lock !== 'none';
    const meta: WeatherMeta = joined
      ? { lock: 'waited', lockWaitMs: r.latencyMs, wokenBy: 'in-process' }
      : {
          lock: trace.lock,
          lockWaitMs: trace.lockWaitMs,
          ...(trace.wokenBy ? { wokenBy: trace.wokenBy } : {}),
          ...(r.source === 'upstream' && trace.loadMs !== undefined ? { upstreamMs: trace.loadMs } : {}),
          ...(trace.earlyRefresh ? { earlyRefresh: true } : {}),
          ...(trace.cacheUnavailable ? { cacheUnavailable: true } : {}),
        };
    meta.fetchedAt = new Date(r.value.fetchedAt).toISOString();
    if (r.stale) {
      meta.stale = true;
      meta.staleReason = trace.staleReason;
    }
    if (r.cacheKey) {
      meta.ttlSeconds = this.config.weather.ttlSeconds;
      meta.expiresInSeconds = Math.max(0, Math.round((r.value.freshUntil - Date.now()) / 1000));
    }
    return {
      value: r.value.data,
      source: r.source,
      latencyMs: performance.now() - started,
      cacheKey: r.cacheKey,
      ...(r.stale ? { stale: true } : {}),
      weather: meta,
    };
  }

  /** The entry as the engine sees it: freshness left, when it was fetched, null value for an unknown city. */
  private async read(key: string, kind: 'read' | 'script'): Promise<CachedEntry<Reading> | null> {
    const raw = await this.cache.guard((c) => c.get(this.cache.key(key)), kind);
    if (!raw) return null;
    const entry = JSON.parse(raw) as Entry;
    return {
      value: entry.data === null ? null : (entry as Reading),
      freshForMs: entry.freshUntil - Date.now(),
      storedAt: entry.fetchedAt,
    };
  }

  /** Kept past its freshness for the grace period, so a failing provider can still be answered from it. */
  private store(city: City, reading: Reading | null, fence: string): Promise<boolean> {
    const now = Date.now();
    const { ttlSeconds, staleGraceSeconds } = this.config.weather;
    const negativeSeconds = this.config.cache.ttl.negative;
    const entry: Entry = reading ?? { data: null, fetchedAt: now, freshUntil: now + negativeSeconds * 1000 };
    const ttl = reading ? ttlSeconds + staleGraceSeconds : negativeSeconds;
    return this.cache.storeEntry(city.key, JSON.stringify(entry), ttl, [], fence);
  }

  private city(country: string, zip: string): City {
    // The gateway validates too; the service checks again because it is reachable by other clients.
    if (typeof country !== 'string' || !WEATHER_COUNTRY_PATTERN.test(country)) {
      throw new BadRequestException('country must be a two-letter ISO 3166 country code such as DE');
    }
    if (typeof zip !== 'string' || !WEATHER_ZIP_PATTERN.test(zip)) {
      throw new BadRequestException('zip must be a postal code of 1 to 10 letters, digits and inner hyphens');
    }
    const c = country.toUpperCase();
    const z = zip.toUpperCase();
    return { country: c, zip: z, key: Keys.weather(c, z) };
  }

  private lockTtl(requested: number | undefined): number {
    if (requested === undefined) return this.config.weather.lockTtlMs;
    const { min, max } = WEATHER_LOCK_TTL_BOUNDS;
    if (!Number.isInteger(requested) || requested < min || requested > max) {
      throw new BadRequestException(`lockTtlMs must be a whole number of milliseconds from ${min} to ${max}`);
    }
    return requested;
  }
}

/**
 * A WeatherService outside Nest (bench and tests): on one set of cache primitives, with its own provider client.
 * Several of them on separate primitives behave like separate weather-service processes sharing one Valkey.
 */
export function createWeatherService(config: AppConfig, p: CachePrimitives): WeatherService {
  return new WeatherService(config, p.cache, p.stats, new WeatherProviderClient(config));
}

function notFound(city: City): HttpException {
  return new NotFoundException(`The weather provider does not know the city ${city.country} ${city.zip}`);
}

/** A failed provider call (this request's, or the owner's it waited for) with nothing to serve: 504 or 502. */
function failureException(city: City, e: unknown): HttpException {
  if (e instanceof HttpException) return e;
  const timeout =
    e instanceof SourceTimeoutError || (e instanceof LoadFailedError && e.failure.kind === 'timeout');
  const message = `Weather for ${city.country} ${city.zip} unavailable and nothing cached to serve: ${(e as Error).message}`;
  return timeout ? new GatewayTimeoutException(message) : new BadGatewayException(message);
}
