import { Injectable, Logger } from '@nestjs/common';
import {
  BookingCancelledEvent,
  BookingCreatedEvent,
  EVENTS,
  EventName,
  EventPayloads,
  FlightUpdatedEvent,
} from '@app/contracts';
import { CacheService, Tags } from '@app/cache';
import { LagRecorder } from './lag-recorder';
import { Leaderboards } from './leaderboard';
import { WarmerService } from './warmer.service';

type BookingEvent = BookingCreatedEvent | BookingCancelledEvent;

/**
 * What each domain event means for the cache: drop every entry it made stale (by tag, atomically), record how
 * long that took since the change was committed, count it on the leaderboards once, and load hot entries again.
 * Throwing makes BullMQ retry the job with backoff (the cache being down, for instance); every step is idempotent.
 */
@Injectable()
export class EventHandlers {
  private readonly logger = new Logger('EventHandlers');

  constructor(
    private readonly cache: CacheService,
    private readonly leaderboards: Leaderboards,
    private readonly warmer: WarmerService,
    private readonly lag: LagRecorder,
  ) {}

  async handle<N extends EventName>(name: N, payload: EventPayloads[N], eventId: string): Promise<void> {
    switch (name) {
      case EVENTS.bookingCreated:
        return this.booking(payload as BookingCreatedEvent, eventId, 1);
      case EVENTS.bookingCancelled:
        return this.booking(payload as BookingCancelledEvent, eventId, -1);
      case EVENTS.flightUpdated:
        return this.flightUpdated(payload as FlightUpdatedEvent);
      default:
        this.logger.warn(`unknown event ${String(name)} ignored`);
    }
  }

  private async booking(e: BookingEvent, eventId: string, delta: 1 | -1): Promise<void> {
    // Asked first and alongside the writes below (one round trip deep, not three in a row): none depends on another.
    const hot = this.isHot(e.fromIata, e.toIata);
    await Promise.all([
      // The flight's manifest and details; the route/day searches and round trips listing it; the passenger's
      // history and profile. (The seat map and counters change in place with the seat, under Tags.seats; the
      // popular routes are a sorted set every search adds to in place.)
      this.invalidate(
        [
          Tags.flight(e.flightId),
          Tags.route(e.fromIata, e.toIata, e.departureDate),
          Tags.passenger(e.passengerId),
          // Unless the writer updated it in place (then the event lists it as invalidated already).
          Tags.passengerProfile(e.passengerId),
          // Every cached NL->SQL result that reads the booking table.
          Tags.table('booking'),
        ],
        e,
      ),
      this.leaderboards.apply({
        eventId,
        delta,
        fromIata: e.fromIata,
        toIata: e.toIata,
        passengerId: e.passengerId,
        passportNo: e.passportNo,
      }),
      this.leaderboards.applyDay({
        eventId,
        delta,
        fromIata: e.fromIata,
        toIata: e.toIata,
        departureDate: e.departureDate,
        occurredAt: e.occurredAt,
      }),
    ]);
    // Only once the stale entries are gone: a search warmed before would be dropped again.
    await this.rewarmIfHot(hot, e.fromIata, e.toIata, [e.departureDate]);
  }

  private async flightUpdated(e: FlightUpdatedEvent): Promise<void> {
    const hot = this.isHot(e.fromIata, e.toIata);
    // Passenger histories list the flight's times; they are registered under the flight's tag too.
    await this.invalidate(
      [
        Tags.flight(e.flightId),
        Tags.seats(e.flightId),
        ...e.departureDates.map((d) => Tags.route(e.fromIata, e.toIata, d)),
        // The airport leaderboards of both days (the flight left one day's boards and joined another's).
        ...e.departureDates.map((d) => Tags.airportDay(d)),
        // Cached NL->SQL results reading the tables a flight change writes.
        Tags.table('flight'),
        Tags.table('flight_log'),
      ],
      e,
    );
    await this.rewarmIfHot(hot, e.fromIata, e.toIata, e.departureDates);
  }

  /** Drops the tags the publisher did not drop itself, then records the lag (committed -> keys gone). */
  private async invalidate(
    stale: string[],
    e: { occurredAt: string; invalidatedTags?: string[] },
  ): Promise<void> {
    const done = new Set(e.invalidatedTags ?? []);
    const tags = stale.filter((t) => !done.has(t));
    if (tags.length === 0) return;
    const deleted = await this.cache.invalidateTags(tags);
    if (deleted < 0)
      throw new Error(`cache unavailable: ${tags.join(', ')} not invalidated (the job is retried)`);
    this.lag.record(e.occurredAt);
  }

  /** Whether the route is among the most searched; never rejects (warming is an optimisation). */
  private isHot(from: string, to: string): Promise<boolean> {
    return this.warmer.isHotRoute(from, to).catch((e) => {
      this.logger.warn(`could not tell whether ${from}-${to} is hot: ${(e as Error).message}`);
      return false;
    });
  }

  /** A hot route's searches are loaded again right away, so its next reader does not pay for the miss. */
  private async rewarmIfHot(hot: Promise<boolean>, from: string, to: string, days: string[]): Promise<void> {
    if (!(await hot)) return;
    try {
      await Promise.all(days.map((d) => this.warmer.warmSearch(from, to, d)));
    } catch (e) {
      // Warming is an optimisation: the entries are gone, the next read loads them.
      this.logger.warn(`re-warming ${from}-${to} failed: ${(e as Error).message}`);
    }
  }
}
