import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform';
import {
  Attempt,
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

/** unknown: a reservation was sent and whether it ran could not be found out (the cache stayed unreachable). */
export type SeatClaim =
  | { outcome: 'ok'; token: string }
  | { outcome: 'taken' }
  | { outcome: 'unavailable' }
  | { outcome: 'unknown' };

/** How long a write-through hold lasts if its owner dies mid-insert (then the map is rebuilt from the database). */
const HOLD_MS = 30_000;
/** Read-backs of a reservation whose reply was lost, before giving up (each with the long 'confirm' deadline). */
const CONFIRM_ATTEMPTS = 5;
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

  /**
   * Write-through: holds the seat until the insert commits or fails. A hold whose reply was lost (a timeout) is
   * read back under its token before answering, so a hold that did happen is used, not left to block the seat.
   */
  async hold(flightId: number, capacity: number, seatIndex: number): Promise<SeatClaim> {
    const token = randomUUID();
    const reply = await this.withSeatMap(flightId, capacity, (c) =>
      runScript(c, 'hold-seat', this.seatKeys(flightId), [seatIndex, HOLD_MS, token]),
    );
    if (reply.outcome === 'unknown') {
      const held = await this.cache.guard(
        (c) => c.hget(this.pendingKey(flightId), String(seatIndex)),
        'confirm',
      );
      if (held?.endsWith(`:${token}`)) return { outcome: 'ok', token: held };
      return { outcome: 'unavailable' };
    }
    if (reply.outcome !== 'done') return { outcome: 'unavailable' };
    return reply.value[0] === 'OK' ? { outcome: 'ok', token: reply.value[1] } : { outcome: 'taken' };
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
      // The stream of the flight's shard: seat map, reservation and stream entry change in one script.
      this.cache.keyBeside(Keys.seatMap(flightId), DurableWriteKeys.writeBehindStream()),
    ];
    const args = [seatIndex, reference, ...Object.entries(fields).flat()];
    for (let attempt = 0; attempt < CONFIRM_ATTEMPTS; attempt++) {
      const reply = await this.withSeatMap(flightId, capacity, (c) =>
        runScript(c, 'reserve-write-behind', keys, args),
      );
      if (reply.outcome === 'done') {
        if (reply.value[0] !== 'OK') return { outcome: 'taken' };
        // Accepted on the primary; answered as accepted only once it would survive a failover (CACHE_WAIT_REPLICAS).
        if (!(await this.cache.replicated(Keys.seatMap(flightId)))) return { outcome: 'unknown' };
        return { outcome: 'ok', token: reply.value[1] };
      }
      if (reply.outcome === 'not-sent') return { outcome: 'unavailable' };
      // Sent, reply lost: find out what the script did (or would have answered) before answering.
      const found = await this.confirmReservation(reference, flightId, seatIndex);
      if (found === 'no-map') {
        if ((await this.buildSeatMap(flightId, capacity)) === undefined) return { outcome: 'unavailable' };
        continue;
      }
      if (found !== 'not-reserved') return found;
    }
    return { outcome: 'unavailable' };
  }

  /**
   * The reservation script was sent but its reply was lost: it may have run. Read back, on the same connection
   * and after the script (replies come in order, and the cache connection never resends a command after a
   * reconnect), what it did: reserved under our reference (ok), or not — because the seat is someone else's
   * (taken), because the map was missing (no-map), or because it did not run (not-reserved). Only a cache that
   * stays unreachable leaves the outcome unknown.
   */
  private async confirmReservation(
    reference: string,
    flightId: number,
    seatIndex: number,
  ): Promise<SeatClaim | 'no-map' | 'not-reserved'> {
    const statusKey = this.cache.key(DurableWriteKeys.bookingStatus(reference));
    const [seatMap, , pending] = this.seatKeys(flightId);
    for (let attempt = 0; attempt < CONFIRM_ATTEMPTS; attempt++) {
      const read = await this.cache.attempt(
        (c) =>
          Promise.all([
            c.hget(statusKey, 'status'),
            c.hget(pending, String(seatIndex)),
            c.exists(seatMap),
            c.getbit(seatMap, seatIndex),
          ]),
        'confirm',
      );
      if (read.outcome === 'done') {
        const [status, holder, mapExists, bit] = read.value;
        if (status !== null) return { outcome: 'ok', token: reference };
        if (holder !== null || bit === 1) return { outcome: 'taken' };
        return mapExists ? 'not-reserved' : 'no-map';
      }
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
    this.logger.error(`write-behind booking ${reference}: could not find out whether it was reserved`);
    return { outcome: 'unknown' };
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
  ): Promise<Attempt<[string, string]>> {
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const reply = (await this.cache.attempt(script, 'script')) as Attempt<[string, string]>;
      if (reply.outcome !== 'done' || reply.value[0] !== 'NOMAP') return reply;
      const built = await this.buildSeatMap(flightId, capacity);
      if (built === undefined) return { outcome: 'not-sent' };
    }
    this.logger.warn(
      `seat map of flight ${flightId} kept changing while being built; giving up this request`,
    );
    return { outcome: 'not-sent' };
  }

  /** Builds the map from the database and the pending reservations (refused and retried if a change raced it). */
  private async buildSeatMap(flightId: number, capacity: number): Promise<boolean | undefined> {
    const pending = this.pendingKey(flightId);
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const version = await this.cache.guard((c) => c.hget(pending, PENDING_VERSION_FIELD), 'confirm');
      if (version === undefined) return undefined;
      const { indexes, bookings } = await this.bookings.bookedSeatIndexes(flightId, capacity);
      const [seatMap, counters] = this.seatKeys(flightId);
      const keys = {
        seatMap,
        counters,
        pending,
        tagSet: this.cache.tagKeysOf(Keys.seatMap(flightId), [Tags.seats(flightId)]).sets[0],
        tagVersion: this.cache.tagKeysOf(Keys.seatMap(flightId), [Tags.seats(flightId)]).versions[0],
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
      const reply = await this.cache.attempt((c) => buildSeatMap(c, keys, build), 'script');
      // A lost reply: the map exists (built by this script or another process) or it does not.
      const ok =
        reply.outcome === 'done'
          ? reply.value
          : reply.outcome === 'unknown'
            ? await this.cache.guard(async (c) => ((await c.exists(seatMap)) === 1 ? 1 : 0), 'confirm')
            : undefined;
      if (ok === undefined) return undefined;
      if (ok === 1) return true;
    }
    return false;
  }
}
