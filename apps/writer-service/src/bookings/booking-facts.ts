import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, WriteKeys } from '@app/cache';
import { BookingsRepository, FlightFacts } from './bookings.repository';

export interface BookingFacts {
  flight: FlightFacts | null;
  passportNo: string | null;
}

/**
 * What validating a booking needs (flight capacity and route, passenger's passport), cached so a write-behind
 * booking is accepted at cache speed: one MGET for both, the database only on a miss. These facts do not change
 * with bookings; a flight update drops its entry (forgetFlight).
 */
@Injectable()
export class BookingFactsCache {
  constructor(
    private readonly cache: CacheService,
    private readonly repo: BookingsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async load(flightId: number, passengerId: number): Promise<BookingFacts> {
    const flightKey = WriteKeys.bookingFlightFacts(flightId);
    const passengerKey = WriteKeys.bookingPassengerFacts(passengerId);
    // Two GETs, not MGET: on a cluster the two keys live in different slots (one round trip all the same).
    const cached = await this.cache.guard((c) =>
      Promise.all([c.get(this.cache.key(flightKey)), c.get(this.cache.key(passengerKey))]),
    );
    let flight = parse<FlightFacts>(cached?.[0]);
    let passenger = parse<{ passportNo: string }>(cached?.[1]);
    // Both misses go to the database together.
    const [f, p] = await Promise.all([
      flight ? flight : this.repo.flightFacts(flightId),
      passenger ? passenger.passportNo : this.repo.passportOf(passengerId),
    ]);
    if (!flight && f) {
      flight = f;
      await this.cache.set(flightKey, f, { ttl: this.config.cache.ttl.flight });
    }
    if (!passenger && p) {
      passenger = { passportNo: p };
      await this.cache.set(passengerKey, passenger, { ttl: this.config.cache.ttl.passenger });
    }
    return { flight: flight ?? null, passportNo: passenger?.passportNo ?? null };
  }

  async forgetFlight(flightId: number): Promise<void> {
    await this.cache.delete([WriteKeys.bookingFlightFacts(flightId)]);
  }
}

function parse<T>(raw: string | null | undefined): T | null {
  return raw ? (JSON.parse(raw) as T) : null;
}
