import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import {
  CacheService,
  DurableWriteKeys,
  InfraKeys,
  Keys,
  PENDING_VERSION_FIELD,
  Tags,
  ValkeyClient,
  buildSeatMap,
  runScript,
} from '@app/cache';
import { BookingsRepository } from '../bookings/bookings.repository';

export type SeatClaim = { outcome: 'ok'; token: string } | { outcome: 'taken' } | { outcome: 'unavailable' };

/** How long a write-through hold lasts if its owner dies mid-insert (then the map is rebuilt from the database). */
const HOLD_MS = 30_000;
/** A rebuild refused because a seat change landed meanwhile is simply tried again, a few times. */
const BUILD_ATTEMPTS = 5;
/** Status of a finished write-behind booking stays this long in Valkey; the database answers after that. */
export const FINISHED_STATUS_TTL_SECONDS = 7 * 24 * 3600;

export interface WriteBehindOutcome {
  seatIndex: number;
  flightId: number;
  reference: string;
  persisted: boolean;
  /** Booking id when persisted, reason when refused. */
  detail: string;
}

/**
 * The seat bitmap, counters and pending reservations of a flight, changed only through the scripts in
 * libs/cache/src/lua. Every method degrades to "unavailable" when the cache is down (never throws for that):
 * write-through then relies on the database's unique key alone; write-behind refuses (it cannot accept without it).
 */
@Injectable()
export class SeatInventory {
  private readonly logger = new Logger('SeatInventory');

  constructor(
    private readonly cache: CacheService,
    private readonly bookings: BookingsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Write-through: holds the seat until the insert commits or fails. */
  async hold(flightId: number, capacity: number, seatIndex: number): Promise<SeatClaim> {
    const reply = await this.withSeatMap(flightId, capacity, (c) =>
      runScript(c, 'hold-seat', this.seatKeys(flightId), [seatIndex, HOLD_MS]),
    );
    if (reply === undefined) return { outcome: 'unavailable' };
    return reply[0] === 'OK' ? { outcome: 'ok', token: reply[1] } : { outcome: 'taken' };
  }

  async commitHold(flightId: number, seatIndex: number, token: string): Promise<void> {
    await this.cache.guard(
      (c) => runScript(c, 'commit-hold', [this.pendingKey(flightId)], [seatIndex, token]),
      'script',
    );
  }

  async releaseHold(flightId: number, seatIndex: number, token: string): Promise<void> {
    await this.cache.guard(
      (c) => runScript(c, 'release-hold', this.seatKeys(flightId), [seatIndex, token]),
      'script',
    );
  }

  /**
   * Write-behind: reserves the seat, records the booking and appends it to the stream atomically.
   * `fields` are what the flusher and the status route need to know about the booking.
   */
  async reserveWriteBehind(
    flightId: number,
    capacity: number,
    seatIndex: number,
    reference: string,
    fields: Record<string, string>,
  ): Promise<SeatClaim> {
    const keys = [
      ...this.seatKeys(flightId),
      this.cache.key(DurableWriteKeys.bookingStatus(reference)),
      this.cache.key(DurableWriteKeys.writeBehindStream()),
    ];
    const args = [seatIndex, reference, ...Object.entries(fields).flat()];
    const reply = await this.withSeatMap(flightId, capacity, (c) =>
      runScript(c, 'reserve-write-behind', keys, args),
    );
    if (reply === undefined) return { outcome: 'unavailable' };
    return reply[0] === 'OK' ? { outcome: 'ok', token: reply[1] } : { outcome: 'taken' };
  }

  /** Cancellation: frees the seat (null index: a booking without a seat on the map still frees a place). */
  async release(flightId: number, seatIndex: number | null): Promise<void> {
    await this.cache.guard(
      (c) => runScript(c, 'release-seat', this.seatKeys(flightId), [seatIndex === null ? '' : seatIndex]),
      'script',
    );
  }

  /** Flusher: records what the database did with each booking (runs on the flusher's patient connection). */
  async finalizeWriteBehind(client: ValkeyClient, outcomes: WriteBehindOutcome[], at: string): Promise<void> {
    if (outcomes.length === 0) return;
    const keys: string[] = [];
    const args: string[] = [String(FINISHED_STATUS_TTL_SECONDS)];
    for (const o of outcomes) {
      const [seatMap, counters, pending] = this.seatKeys(o.flightId);
      keys.push(this.cache.key(DurableWriteKeys.bookingStatus(o.reference)), pending, seatMap, counters);
      args.push(String(o.seatIndex), o.reference, o.persisted ? 'persisted' : 'failed', o.detail, at);
    }
    await runScript(client, 'finalize-write-behind', keys, args);
  }

  // -------------------------------------------------------------------------------------------------------------

  /** [seat map, counters, pending] of a flight, prefixed. */
  private seatKeys(flightId: number): [string, string, string] {
    return [
      this.cache.key(Keys.seatMap(flightId)),
      this.cache.key(Keys.seatCounters(flightId)),
      this.pendingKey(flightId),
    ];
  }

  private pendingKey(flightId: number): string {
    return this.cache.key(DurableWriteKeys.pendingSeats(flightId));
  }

  /** Runs a seat script; when it answers NOMAP, builds the map from the database and runs it again. */
  private async withSeatMap(
    flightId: number,
    capacity: number,
    script: (c: ValkeyClient) => Promise<unknown>,
  ): Promise<[string, string] | undefined> {
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const reply = (await this.cache.guard(script, 'script')) as [string, string] | undefined;
      if (reply === undefined || reply[0] !== 'NOMAP') return reply;
      const built = await this.buildSeatMap(flightId, capacity);
      if (built === undefined) return undefined;
    }
    this.logger.warn(
      `seat map of flight ${flightId} kept changing while being built; giving up this request`,
    );
    return undefined;
  }

  /** Builds the map from the database and the pending reservations (refused and retried if a change raced it). */
  private async buildSeatMap(flightId: number, capacity: number): Promise<boolean | undefined> {
    const pending = this.pendingKey(flightId);
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const version = await this.cache.guard((c) => c.hget(pending, PENDING_VERSION_FIELD), 'script');
      if (version === undefined) return undefined;
      const { indexes, bookings } = await this.bookings.bookedSeatIndexes(flightId, capacity);
      const [seatMap, counters] = this.seatKeys(flightId);
      const keys = {
        seatMap,
        counters,
        pending,
        tagSet: this.cache.key(InfraKeys.tagSet(Tags.flight(flightId))),
        tagVersion: this.cache.key(InfraKeys.tagVersion(Tags.flight(flightId))),
        fence: this.cache.key(InfraKeys.fence(Keys.seatMap(flightId))),
      };
      // 'keep': another process may have built it meanwhile; the pending version guards the booking side.
      const build = {
        capacity,
        bookings,
        indexes,
        pendingVersion: version ?? '0',
        ttl: this.config.cache.ttl.seats,
        loadStartedUs: '',
        mode: 'keep' as const,
      };
      const ok = await this.cache.guard((c) => buildSeatMap(c, keys, build), 'script');
      if (ok === undefined) return undefined;
      if (ok === 1) return true;
    }
    return false;
  }
}
