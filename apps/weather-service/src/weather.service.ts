import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  Optional,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import {
  CacheGuard,
  CachePrimitives,
  CacheResult,
  CacheService,
  CacheStatsService,
  CacheUnavailableError,
  DistributedLock,
  FillNotifier,
  Keys,
} from '@app/cache';
import {
  CurrentWeather,
  WEATHER_COUNTRY_PATTERN,
  WEATHER_LOCK_TTL_BOUNDS,
  WEATHER_ZIP_PATTERN,
  WeatherCity,
  WeatherMeta,
  WeatherRequest,
  WeatherResult,
} from '@app/contracts';
import { UpstreamOutcome, WeatherProviderClient } from './weather-provider.client';

/** Injection token of the (bench-only) options below. */
export const WEATHER_CACHE_OPTIONS = Symbol('WEATHER_CACHE_OPTIONS');

export interface WeatherCacheOptions {
  /**
   * One provider call per key across all processes (lock + fill notification). Only `bench:stampede` turns it
   * off, to show what plain cache-aside does under a stampede; it is deliberately not a setting.
   */
  stampedeProtection: boolean;
  /** Concurrent misses inside one process share one trip through the lock. */
  coalesce: boolean;
}

/** What is stored under Keys.weather: kept for ttl + stale grace, fresh until `freshUntil`. */
interface Entry {
  /** null: the provider does not know this city (negative entry). */
  data: CurrentWeather | null;
  fetchedAt: number;
  freshUntil: number;
}

/** What is stored under Keys.weatherFailure after a failed provider call. */
interface Failure {
  kind: 'error' | 'timeout';
  reason: string;
  at: number;
}

interface City {
  country: string;
  zip: string;
  key: string;
}

/** An answer before it is turned into a reply. */
interface Served {
  entry: Entry;
  source: 'cache' | 'upstream';
  meta: WeatherMeta;
  /** False when the value could not be written to the cache. */
  cached: boolean;
}

const QUERY_CLASS = 'weather';
/** The owner gives up on the provider this long before its lock would expire, so no one else can get in. */
const LOCK_SAFETY_MARGIN_MS = 200;
/** A failure is shared with the requests that waited for it; it only has to outlive their wake-up. */
const FAILURE_TTL_MS = 30_000;

/**
 * The weather of a city from a slow external API, cached in Valkey and protected against stampedes:
 * - one provider call per key across all processes: the caller that wins `DistributedLock` calls the provider,
 *   everybody else waits for its fill notification (pub/sub, no polling) and reads what it stored;
 * - the owner's provider call is bounded by the lock TTL, and only the owner can release its lock;
 * - values live past their freshness for a grace period, so a failing provider yields the last value
 *   (meta.stale + why) instead of an error; with nothing to serve, 502 (provider error) or 504 (timeout);
 * - a hit shortly before expiry refreshes the key in the background (under the lock), so a hot city never expires;
 * - a dead cache degrades to calling the provider directly.
 */
@Injectable()
export class WeatherService {
  private readonly logger = new Logger('WeatherService');
  private readonly options: WeatherCacheOptions;
  private readonly inflight = new Map<string, Promise<Served>>();
  private readonly refreshing = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly guard: CacheGuard,
    private readonly lock: DistributedLock,
    private readonly fill: FillNotifier,
    private readonly stats: CacheStatsService,
    private readonly cache: CacheService,
    private readonly provider: WeatherProviderClient,
    @Optional() @Inject(WEATHER_CACHE_OPTIONS) options?: Partial<WeatherCacheOptions>,
  ) {
    this.options = { stampedeProtection: true, coalesce: true, ...options };
  }

  async current(req: WeatherRequest): Promise<WeatherResult> {
    const started = performance.now();
    const since = Date.now();
    const city = this.city(req.country, req.zip);
    const lockTtlMs = this.lockTtl(req.lockTtlMs);

    if (req.cache === false) return this.reply(city, await this.direct(city, {}), started);

    if (!req.refresh) {
      const entry = await this.read(city.key);
      if (entry === undefined)
        return this.reply(city, await this.direct(city, { cacheUnavailable: true }), started);
      if (entry && this.isFresh(entry)) {
        const earlyRefresh = this.refreshIfExpiringSoon(city, entry, lockTtlMs);
        return this.reply(
          city,
          this.fromCache(city, entry, { lock: 'none', lockWaitMs: 0, earlyRefresh }),
          started,
        );
      }
    }
    if (!this.guard.isAvailable)
      return this.reply(city, await this.direct(city, { cacheUnavailable: true }), started);
    if (!this.options.stampedeProtection) {
      return this.reply(
        city,
        await this.fetchAndStore(city, lockTtlMs, null, { lock: 'bypassed', lockWaitMs: 0 }),
        started,
      );
    }
    if (!this.options.coalesce)
      return this.reply(city, await this.loadThroughLock(city, lockTtlMs, !!req.refresh, since), started);

    // Concurrent misses in this process share one trip through the lock.
    const shared = this.inflight.get(city.key);
    if (shared) {
      this.stats.count(QUERY_CLASS, 'coalesced');
      const served = await shared;
      const lockWaitMs = performance.now() - started;
      return this.reply(
        city,
        {
          ...served,
          source: 'cache',
          meta: { ...served.meta, lock: 'waited', lockWaitMs, wokenBy: 'in-process', upstreamMs: undefined },
        },
        started,
      );
    }
    const load = this.loadThroughLock(city, lockTtlMs, !!req.refresh, since).finally(() =>
      this.inflight.delete(city.key),
    );
    this.inflight.set(city.key, load);
    return this.reply(city, await load, started);
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

  /** Removes a city's cached weather (demos start cold with it). */
  async evict(country: string, zip: string): Promise<{ cacheKey: string; deleted: number }> {
    const city = this.city(country, zip);
    const deleted = await this.cache.delete([city.key, Keys.weatherFailure(city.country, city.zip)]);
    return { cacheKey: this.guard.key(city.key), deleted };
  }

  // -------------------------------------------------------------------------------------------------------------

  private async loadThroughLock(
    city: City,
    lockTtlMs: number,
    refresh: boolean,
    since: number,
  ): Promise<Served> {
    // Bound the whole wait: an owner that vanished is replaced after its lock expires, never waited for forever.
    const deadline = Date.now() + 2 * lockTtlMs + this.config.weather.upstreamTimeoutMs;
    let lockWaitMs = 0;
    let wokenBy: WeatherMeta['wokenBy'];
    // A refresh accepts only a value fetched after it was asked for.
    const usable = (e: Entry | null | undefined): e is Entry =>
      !!e && this.isFresh(e) && (!refresh || e.fetchedAt >= since);

    for (;;) {
      let token: string | null;
      try {
        token = await this.lock.acquire(city.key, lockTtlMs);
      } catch (e) {
        if (e instanceof CacheUnavailableError) return this.direct(city, { cacheUnavailable: true });
        throw e;
      }
      if (token) {
        try {
          // Someone may have stored the value between our miss and our lock.
          const current = await this.read(city.key);
          if (usable(current))
            return this.fromCache(city, current, { lock: 'acquired', lockWaitMs, wokenBy });
          return await this.fetchAndStore(city, lockTtlMs, current ?? null, {
            lock: 'acquired',
            lockWaitMs,
            wokenBy,
          });
        } finally {
          await this.lock.release(city.key, token);
          // Wake the waiters whether a value or a failure was stored: they read which one it was.
          await this.fill.notify(city.key);
        }
      }

      if (Date.now() >= deadline) {
        throw new GatewayTimeoutException(`Gave up waiting for the weather of ${city.country} ${city.zip}`);
      }
      this.stats.count(QUERY_CLASS, 'waits');
      const waitStarted = performance.now();
      const woken = this.fill.waitFor(city.key, Math.max(1, Math.min(lockTtlMs, deadline - Date.now())));
      // The owner may have finished between our failed acquire and our subscription: look once more.
      let [entry, failure] = await this.readWithFailure(city);
      if (usable(entry) || (failure && failure.at >= since)) {
        wokenBy = 'recheck';
      } else {
        wokenBy = (await woken) ? 'notification' : 'timeout';
        [entry, failure] = await this.readWithFailure(city);
      }
      lockWaitMs += performance.now() - waitStarted;

      if (usable(entry)) return this.fromCache(city, entry, { lock: 'waited', lockWaitMs, wokenBy });
      if (failure && failure.at >= since) {
        // The owner's call failed while we waited: share its outcome instead of calling the provider again.
        if (entry && this.withinGrace(entry))
          return this.stale(city, entry, failure.reason, { lock: 'waited', lockWaitMs, wokenBy });
        throw failureException(city, failure);
      }
      // The owner vanished without a result (crashed, or its lock expired): try to take over.
    }
  }

  /** Calls the provider and stores the outcome. Runs under the lock (or with protection off, in the bench). */
  private async fetchAndStore(
    city: City,
    lockTtlMs: number,
    previous: Entry | null,
    meta: WeatherMeta,
  ): Promise<Served> {
    const timeoutMs = Math.min(this.config.weather.upstreamTimeoutMs, lockTtlMs - LOCK_SAFETY_MARGIN_MS);
    this.stats.count(QUERY_CLASS, 'loads');
    const outcome = await this.provider.current(city.country, city.zip, timeoutMs);
    const now = Date.now();
    const { ttlSeconds, staleGraceSeconds } = this.config.weather;
    switch (outcome.kind) {
      case 'ok': {
        const entry: Entry = { data: outcome.data, fetchedAt: now, freshUntil: now + ttlSeconds * 1000 };
        // Kept past its freshness so that a failing provider can still be answered from it.
        const cached = await this.write(city.key, entry, (ttlSeconds + staleGraceSeconds) * 1000);
        return { entry, source: 'upstream', cached, meta: { ...meta, upstreamMs: outcome.ms } };
      }
      case 'not-found': {
        const negativeMs = this.config.cache.ttl.negative * 1000;
        await this.write(city.key, { data: null, fetchedAt: now, freshUntil: now + negativeMs }, negativeMs);
        throw notFound(city);
      }
      default: {
        const failure: Failure = { kind: outcome.kind, reason: outcome.reason, at: now };
        await this.guard.run((c) =>
          c.set(
            this.guard.key(Keys.weatherFailure(city.country, city.zip)),
            JSON.stringify(failure),
            'PX',
            FAILURE_TTL_MS,
          ),
        );
        if (previous && this.withinGrace(previous)) {
          return this.stale(city, previous, outcome.reason, { ...meta, upstreamMs: outcome.ms });
        }
        throw failureException(city, failure);
      }
    }
  }

  /** No cache at all (cache=false, or the cache is down): straight to the provider. */
  private async direct(city: City, extra: Partial<WeatherMeta>): Promise<Served> {
    this.stats.count(QUERY_CLASS, extra.cacheUnavailable ? 'bypassed' : 'loads');
    const outcome: UpstreamOutcome = await this.provider.current(city.country, city.zip);
    if (outcome.kind === 'not-found') throw notFound(city);
    if (outcome.kind !== 'ok')
      throw failureException(city, { kind: outcome.kind, reason: outcome.reason, at: Date.now() });
    return {
      entry: { data: outcome.data, fetchedAt: Date.now(), freshUntil: 0 },
      source: 'upstream',
      cached: false,
      meta: { lock: 'bypassed', lockWaitMs: 0, upstreamMs: outcome.ms, ...extra },
    };
  }

  /**
   * Early refresh: a hit within WEATHER_EARLY_REFRESH of expiry refreshes the key in the background, under the
   * lock, while this and every other request keeps being served the current value. True when this hit started it.
   */
  private refreshIfExpiringSoon(city: City, entry: Entry, lockTtlMs: number): boolean {
    if (!this.options.stampedeProtection || entry.data === null) return false;
    // Never more than half the TTL, or every hit of a fresh value would refresh it again.
    const windowMs =
      Math.min(this.config.weather.earlyRefreshSeconds, this.config.weather.ttlSeconds / 2) * 1000;
    if (entry.freshUntil - Date.now() > windowMs || this.refreshing.has(city.key)) return false;
    this.refreshing.add(city.key);
    const refresh = async () => {
      const token = await this.lock.acquire(city.key, lockTtlMs).catch(() => null);
      if (!token) return; // another request or process is loading it already
      try {
        const current = await this.read(city.key);
        if (current && current.fetchedAt > entry.fetchedAt) return; // refreshed elsewhere meanwhile
        await this.fetchAndStore(city, lockTtlMs, current ?? entry, { lock: 'acquired', lockWaitMs: 0 });
      } finally {
        await this.lock.release(city.key, token);
        await this.fill.notify(city.key);
      }
    };
    refresh()
      .catch((e: Error) => this.logger.warn(`early refresh of ${city.key} failed: ${e.message}`))
      .finally(() => this.refreshing.delete(city.key));
    return true;
  }

  private fromCache(city: City, entry: Entry, meta: WeatherMeta): Served {
    if (entry.data === null) throw notFound(city);
    return { entry, source: 'cache', cached: true, meta };
  }

  private stale(city: City, entry: Entry, reason: string, meta: WeatherMeta): Served {
    return {
      ...this.fromCache(city, entry, meta),
      meta: {
        ...meta,
        stale: true,
        staleReason: `${reason}; serving the value from ${new Date(entry.fetchedAt).toISOString()}`,
      },
    };
  }

  private reply(city: City, served: Served, started: number): WeatherResult {
    const latencyMs = performance.now() - started;
    this.stats.record(QUERY_CLASS, served.source, latencyMs);
    const meta: WeatherMeta = { ...served.meta, fetchedAt: new Date(served.entry.fetchedAt).toISOString() };
    if (meta.upstreamMs === undefined) delete meta.upstreamMs;
    if (served.cached) {
      meta.ttlSeconds = this.config.weather.ttlSeconds;
      meta.expiresInSeconds = Math.max(0, Math.round((served.entry.freshUntil - Date.now()) / 1000));
    }
    return {
      value: served.entry.data!,
      source: served.source,
      latencyMs,
      cacheKey: served.cached ? this.guard.key(city.key) : null,
      ...(meta.stale ? { stale: true } : {}),
      weather: meta,
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  /** The entry; null when there is none; undefined when the cache is unavailable. */
  private async read(key: string): Promise<Entry | null | undefined> {
    const raw = await this.guard.run((c) => c.get(this.guard.key(key)));
    return raw === undefined ? undefined : raw === null ? null : (JSON.parse(raw) as Entry);
  }

  private async readWithFailure(city: City): Promise<[Entry | null, Failure | null]> {
    const raw = await this.guard.run((c) =>
      c.mget(this.guard.key(city.key), this.guard.key(Keys.weatherFailure(city.country, city.zip))),
    );
    const [entry, failure] = raw ?? [null, null];
    return [entry ? (JSON.parse(entry) as Entry) : null, failure ? (JSON.parse(failure) as Failure) : null];
  }

  private async write(key: string, entry: Entry, ttlMs: number): Promise<boolean> {
    const ok = await this.guard.run((c) =>
      c.set(this.guard.key(key), JSON.stringify(entry), 'PX', Math.max(1, Math.round(ttlMs))),
    );
    return ok === 'OK';
  }

  private isFresh(entry: Entry): boolean {
    return Date.now() < entry.freshUntil;
  }

  private withinGrace(entry: Entry): boolean {
    return (
      entry.data !== null && Date.now() < entry.freshUntil + this.config.weather.staleGraceSeconds * 1000
    );
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
export function createWeatherService(
  config: AppConfig,
  p: CachePrimitives,
  options?: Partial<WeatherCacheOptions>,
): WeatherService {
  return new WeatherService(
    config,
    p.guard,
    p.lock,
    p.fill,
    p.stats,
    p.cache,
    new WeatherProviderClient(config),
    options,
  );
}

function notFound(city: City): HttpException {
  return new NotFoundException(`The weather provider does not know the city ${city.country} ${city.zip}`);
}

function failureException(city: City, failure: Failure): HttpException {
  const message = `Weather for ${city.country} ${city.zip} unavailable and nothing cached to serve: ${failure.reason}`;
  return failure.kind === 'timeout' ? new GatewayTimeoutException(message) : new BadGatewayException(message);
}
