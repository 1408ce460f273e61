import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, InfraKeys, Keys, fenceTtlSeconds, runScript } from '@app/cache';
import type { FlightFacts } from './bookings.repository';

/**
 * Keeps a cached passenger profile warm after a write-through booking instead of dropping it (the guide's
 * HINCRBY/ZINCRBY; see apply-booking-to-profile.lua for why it is safe). `startStamp()` is read before the
 * booking's transaction begins; `applyBooking()` after it committed answers whether the profile is taken care
 * of — updated in place or dropped, fenced either way. When it is not (Valkey down or the reply lost), the
 * caller invalidates the profile's tag like any other stale entry.
 */
@Injectable()
export class ProfileUpdate {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The clock (µs) of the Valkey holding the passenger's profile; undefined when Valkey did not answer. */
  startStamp(passengerId: number): Promise<string | undefined> {
    return this.cache.serverTimeUs(Keys.passengerProfile(passengerId));
  }

  async applyBooking(
    passengerId: number,
    flight: FlightFacts,
    price: string,
    startedUs: string | undefined,
  ): Promise<boolean> {
    const { airlineId, fromAirportId, toAirportId } = flight;
    // Facts cached before they carried these ids: nothing to add them with.
    if (
      startedUs === undefined ||
      airlineId === undefined ||
      fromAirportId === undefined ||
      toAirportId === undefined
    )
      return false;
    const keys = [Keys.passengerProfile(passengerId), Keys.passengerRoutes(passengerId)];
    const result = await this.cache.attempt((c) =>
      runScript(
        c,
        'apply-booking-to-profile',
        [...keys.map((k) => this.cache.key(k)), ...keys.map((k) => this.cache.key(InfraKeys.fence(k)))],
        [
          startedUs,
          Math.round(Number(price) * 100),
          `${flight.fromIata}-${flight.toIata}`,
          airlineId,
          fromAirportId,
          toAirportId,
          fenceTtlSeconds(this.config.cache.loaderTimeoutMs),
        ],
      ),
    );
    return result.outcome === 'done';
  }
}
