import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, SessionKeys, runScript } from '@app/cache';
import type { PassengerRef } from '@app/contracts';

/** Flights a basket may hold. */
export const BASKET_MAX = 50;
/** Weather lookups a session remembers (newest first). */
export const RECENT_WEATHER_MAX = 10;

/** A weather lookup as the session remembers it. */
export interface WeatherLookup {
  country: string;
  zip: string;
  city: string;
  temp: number | null;
  description: string | null;
  source: string;
  at: string;
}

/** What one session holds, as read by a request (after its change). */
export interface SessionState {
  passenger: PassengerRef;
  createdAt: string;
  lastSeenAt: string;
  /** Flight ids, ascending. */
  basket: number[];
  recentWeather: WeatherLookup[];
  /** The basket was full: the flight was not added. */
  basketFull?: boolean;
}

type Op = 'touch' | 'basket-add' | 'basket-remove' | 'weather';

/**
 * The session store, written out on Valkey: a session is a hash (the passenger, created / last seen) plus a set
 * (the flight basket) and a capped list (recent weather lookups), all three with the same sliding TTL
 * (SESSION_TTL_SECONDS), started again by every request made with the session (lua/session-op.lua: check, change
 * and EXPIRE in one atomic step). The session id is 192 random bits; the cookie carrying it is signed.
 */
@Injectable()
export class SessionStore {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get ttlSeconds(): number {
    return this.config.session.ttlSeconds;
  }

  /** A new session for the passenger; returns its id. */
  async create(passenger: PassengerRef): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    const key = this.cache.key(SessionKeys.session(id));
    const now = new Date().toISOString();
    const done = await this.cache.guard(
      (c) =>
        c
          .multi()
          .hset(key, {
            passengerId: String(passenger.passengerId),
            passportNo: passenger.passportNo,
            firstname: passenger.firstname,
            lastname: passenger.lastname,
            createdAt: now,
            lastSeenAt: now,
          })
          .expire(key, this.ttlSeconds)
          .exec(),
      'script',
    );
    if (done === undefined) throw unavailable();
    return id;
  }

  /** Reads the session and starts its lifetime again; null when it does not exist (any more). */
  touch(id: string): Promise<SessionState | null> {
    return this.run(id, 'touch');
  }

  addToBasket(id: string, flightId: number): Promise<SessionState | null> {
    return this.run(id, 'basket-add', String(flightId), BASKET_MAX);
  }

  removeFromBasket(id: string, flightId: number): Promise<SessionState | null> {
    return this.run(id, 'basket-remove', String(flightId));
  }

  rememberWeather(id: string, lookup: WeatherLookup): Promise<SessionState | null> {
    return this.run(id, 'weather', JSON.stringify(lookup), RECENT_WEATHER_MAX);
  }

  /** Logout: every key of the session goes. */
  async destroy(id: string): Promise<void> {
    const done = await this.cache.guard((c) => c.unlink(...this.keys(id)), 'script');
    if (done === undefined) throw unavailable();
  }

  private keys(id: string): string[] {
    return [SessionKeys.session(id), SessionKeys.basket(id), SessionKeys.weather(id)].map((k) =>
      this.cache.key(k),
    );
  }

  private async run(id: string, op: Op, arg = '', cap = 0): Promise<SessionState | null> {
    const reply = await this.cache.guard(
      (c) =>
        runScript<[string[], string[], string[], string] | null>(c, 'session-op', this.keys(id), [
          this.ttlSeconds,
          new Date().toISOString(),
          op,
          arg,
          cap,
        ]),
      'script',
    );
    if (reply === undefined) throw unavailable();
    if (reply === null) return null;
    const [flat, members, weather, status] = reply;
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]] = flat[i + 1];
    return {
      passenger: {
        passengerId: Number(h.passengerId),
        passportNo: h.passportNo,
        firstname: h.firstname,
        lastname: h.lastname,
      },
      createdAt: h.createdAt,
      lastSeenAt: h.lastSeenAt,
      basket: members.map(Number).sort((a, b) => a - b),
      recentWeather: weather.map((w) => JSON.parse(w) as WeatherLookup),
      ...(status === 'full' ? { basketFull: true } : {}),
    };
  }
}

function unavailable(): ServiceUnavailableException {
  return new ServiceUnavailableException('Valkey is unavailable: sessions are kept there, try again shortly');
}
