import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, WriteKeys } from '@app/cache';

/**
 * Applies an event's +1 / -1 to the airport traffic leaderboard (both airports) and to the passenger activity
 * ranking exactly once: the "applied" marker (SET NX) and the increments are one atomic script, so a replayed
 * event (BullMQ retry, a re-published event after a flusher crash) changes nothing more.
 * KEYS[1]=marker, KEYS[2]=airport board, KEYS[3]=passenger board; ARGV[1]=marker TTL s, ARGV[2]=delta,
 * ARGV[3]=from IATA, ARGV[4]=to IATA, ARGV[5]=passenger member.
 */
const APPLY_ONCE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZINCRBY', KEYS[3], ARGV[2], ARGV[5])
return 1`;

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
    const applied = await this.cache.guard((c) =>
      c.eval(
        APPLY_ONCE,
        3,
        ...keys,
        String(MARKER_TTL_SECONDS),
        String(ch.delta),
        ch.fromIata,
        ch.toIata,
        member,
      ),
    );
    if (applied === undefined)
      throw new Error('cache unavailable: leaderboard not updated (the job is retried)');
    return applied === 1;
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
