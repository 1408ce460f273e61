import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, InfraKeys, Keys, WriteKeys, fenceTtlSeconds, runScript } from '@app/cache';

/**
 * Applies an event's +1 / -1 to the airport traffic leaderboard and the passenger activity ranking exactly once
 * (lua/apply-leaderboard-once.lua): a replayed event (BullMQ retry, a re-published event) changes nothing more.
 */
/** Longer than BullMQ keeps a finished job (a replay after that is a new job and must still be recognised). */
const MARKER_TTL_SECONDS = 30 * 24 * 3600;

export interface LeaderboardChange {
  eventId: string;
  delta: 1 | -1;
  fromIata: string;
  toIata: string;
  passengerId: number;
  passportNo: string;
}

@Injectable()
export class Leaderboards {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** true when applied now, false when it had been applied before; throws when the cache is unavailable. */
  async apply(ch: LeaderboardChange): Promise<boolean> {
    const keys = [
      WriteKeys.processedEvent(ch.eventId),
      WriteKeys.airportLeaderboard(),
      WriteKeys.activePassengers(),
    ].map((k) => this.cache.key(k));
    const member = passengerMember(ch.passengerId, ch.passportNo);
    const applied = await this.cache.guard(
      (c) =>
        runScript<number>(c, 'apply-leaderboard-once', keys, [
          MARKER_TTL_SECONDS,
          ch.delta,
          ch.fromIata,
          ch.toIata,
          member,
        ]),
      'script',
    );
    if (applied === undefined)
      throw new Error('cache unavailable: leaderboard not updated (the job is retried)');
    return applied === 1;
  }

  /**
   * The booking's +1 / -1 on the passengers board of its flight's day (GET /api/leaderboards/airports), exactly
   * once (lua/apply-airport-day-once.lua): only a board built before the booking changes; with no board, a build
   * in flight is fenced off (its snapshot may miss the booking) and the next build counts it.
   */
  async applyDay(
    ch: Omit<LeaderboardChange, 'passengerId' | 'passportNo'> & { departureDate: string; occurredAt: string },
  ): Promise<'applied' | 'no-board' | 'counted-by-build' | 'replayed'> {
    const board = Keys.airportBoard(ch.departureDate, 'passengers');
    const keys = [
      WriteKeys.processedDayEvent(ch.eventId),
      board,
      Keys.airportBoardNames(ch.departureDate, 'passengers'),
      InfraKeys.fence(board),
    ].map((k) => this.cache.key(k));
    const outcome = await this.cache.guard(
      (c) =>
        runScript<number>(c, 'apply-airport-day-once', keys, [
          MARKER_TTL_SECONDS,
          ch.delta,
          ch.fromIata,
          ch.toIata,
          Date.parse(ch.occurredAt),
          fenceTtlSeconds(this.config.cache.loaderTimeoutMs),
        ]),
      'script',
    );
    if (outcome === undefined)
      throw new Error('cache unavailable: day leaderboard not updated (the job is retried)');
    return (['replayed', 'applied', 'no-board', 'counted-by-build'] as const)[outcome];
  }

  /** The most active passengers, most bookings first. */
  async topPassengers(n: number): Promise<Array<{ passengerId: number; passportNo: string }>> {
    if (n <= 0) return [];
    const members =
      (await this.cache.guard((c) => c.zrevrange(this.cache.key(WriteKeys.activePassengers()), 0, n - 1))) ??
      [];
    return members.map(parsePassengerMember);
  }
}

export function passengerMember(passengerId: number, passportNo: string): string {
  return `${passengerId}:${passportNo}`;
}

function parsePassengerMember(m: string): { passengerId: number; passportNo: string } {
  const colon = m.indexOf(':');
  return { passengerId: Number(m.slice(0, colon)), passportNo: m.slice(colon + 1) };
}
