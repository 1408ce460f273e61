import {
  BadRequestException,
  ConflictException,
  GatewayTimeoutException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import {
  BookingStatusView,
  BookingView,
  CancelledBooking,
  CreateBookingBody,
  WriteBehindAccepted,
  seatIndex,
  seatLayout,
} from '@app/contracts';
import { CacheResult, CacheService, DurableWriteKeys, Keys, Tags } from '@app/cache';
import { dbErrorKind, unavailableIfDown } from '@app/platform';
import { bookingCancelled, bookingCreated, departureDay } from '../events/booking-events';
import { OutboxEvent, OutboxRepository } from '../events/outbox.repository';
import { SeatInventory } from '../seats/seat-inventory';
import { WriteSideEffects } from '../write-side-effects';
import { ProfileUpdate } from './profile-update';
import { BookingFacts, BookingFactsCache } from './booking-facts';
import { BookingForCancel, BookingsRepository, FlightFacts } from './bookings.repository';

type Validated = { flight: FlightFacts; passportNo: string; seatIndex: number; price: string };

/**
 * Bookings in both write modes. Write-through: the database first (its unique (flight_id, seat) key is the last
 * line of defence), then the cache is brought up to date before answering. Write-behind: the seat is reserved in
 * Valkey atomically and the flusher persists it moments later. A seat held or reserved by one mode is refused by
 * the other, so no seat is sold twice.
 */
@Injectable()
export class BookingsService {
  constructor(
    private readonly repo: BookingsRepository,
    private readonly facts: BookingFactsCache,
    private readonly seats: SeatInventory,
    private readonly cache: CacheService,
    private readonly sideEffects: WriteSideEffects,
    private readonly outbox: OutboxRepository,
    private readonly profile: ProfileUpdate,
  ) {}

  async create(dto: CreateBookingBody): Promise<CacheResult<BookingView | WriteBehindAccepted>> {
    const started = performance.now();
    const valid = await this.validate(dto);
    return dto.mode === 'write-behind'
      ? this.writeBehind(dto, valid, started)
      : this.writeThrough(dto, valid, started);
  }

  async status(reference: string): Promise<CacheResult<BookingStatusView>> {
    const started = performance.now();
    const key = DurableWriteKeys.bookingStatus(reference);
    const h = await this.cache.guard((c) => c.hgetall(this.cache.key(key)));
    if (h?.status) {
      return {
        value: statusView(h),
        source: 'cache',
        latencyMs: performance.now() - started,
        cacheKey: this.cache.key(key),
      };
    }
    // Statuses of finished bookings expire from Valkey; the database keeps the reference for good.
    const row = await unavailableIfDown(() => this.repo.persistedReference(reference));
    if (row) {
      const value: BookingStatusView = {
        reference,
        status: 'persisted',
        bookingId: row.bookingId,
        flightId: row.flightId,
        passengerId: row.passengerId,
        seat: row.seat ?? '',
        price: Number(row.price),
        acceptedAt: row.acceptedAt,
        persistedAt: row.persistedAt,
      };
      return { value, source: 'database', latencyMs: performance.now() - started, cacheKey: null };
    }
    if (h === undefined) {
      throw new ServiceUnavailableException(
        'Valkey is unavailable: the status of a pending booking cannot be read',
      );
    }
    throw new NotFoundException(`no booking with reference ${reference}`);
  }

  async cancel(bookingId: number): Promise<CacheResult<CancelledBooking>> {
    const started = performance.now();
    const occurredAt = new Date().toISOString();
    // The event commits with the cancellation (the outbox), so a queue server that is down cannot lose it.
    const done = await unavailableIfDown(() =>
      this.repo.transaction(async (m) => {
        const found = await this.repo.findForCancel(m, bookingId);
        if (!found) return null;
        await this.repo.deleteBooking(m, bookingId);
        const events = await this.outbox.add(m, [cancelledEvent(found, occurredAt)]);
        return { b: found, events };
      }),
    );
    if (!done) throw new NotFoundException(`booking ${bookingId} does not exist`);
    const { b, events } = done;
    await this.seats.release(b.flightId, b.seat === null ? null : seatIndex(b.seat, b.capacity));
    if (b.reference) {
      const key = this.cache.key(DurableWriteKeys.bookingStatus(b.reference));
      // Only while the status is still kept (it expires some days after persisting).
      await this.cache.guard(
        async (c) => (await c.exists(key)) && c.hset(key, 'status', 'cancelled', 'cancelledAt', occurredAt),
      );
    }
    await this.sideEffects.afterCommit(
      [
        Tags.passenger(b.passengerId),
        Tags.passengerProfile(b.passengerId),
        Tags.flight(b.flightId),
        Tags.route(b.fromIata, b.toIata, departureDay(b.departure)),
      ],
      events,
    );
    const value: CancelledBooking = {
      bookingId,
      flightId: b.flightId,
      passengerId: b.passengerId,
      seat: b.seat,
      cancelled: true,
    };
    return { value, source: 'database', latencyMs: performance.now() - started, cacheKey: null };
  }

  // -------------------------------------------------------------------------------------------------------------

  private async validate(dto: CreateBookingBody): Promise<Validated> {
    const facts: BookingFacts = await unavailableIfDown(() => this.facts.load(dto.flightId, dto.passengerId));
    if (!facts.flight) throw new NotFoundException(`flight ${dto.flightId} does not exist`);
    if (!facts.passportNo) throw new NotFoundException(`passenger ${dto.passengerId} does not exist`);
    if (Date.parse(facts.flight.departure) <= Date.now()) {
      throw new UnprocessableEntityException(
        `flight ${dto.flightId} departed at ${facts.flight.departure}: a flight that has left cannot be booked`,
      );
    }
    const index = seatIndex(dto.seat, facts.flight.capacity);
    if (index === null) {
      const { rows, letters } = seatLayout(facts.flight.capacity);
      throw new BadRequestException(
        `seat ${dto.seat} does not exist on flight ${dto.flightId}: its aircraft has ${facts.flight.capacity} seats ` +
          `(rows 1-${rows}, letters ${letters})`,
      );
    }
    return {
      flight: facts.flight,
      passportNo: facts.passportNo,
      seatIndex: index,
      price: dto.price.toFixed(2),
    };
  }

  private async writeThrough(
    dto: CreateBookingBody,
    v: Validated,
    started: number,
  ): Promise<CacheResult<BookingView>> {
    const { flightId, passengerId, seat } = dto;
    // Valkey's clock before the transaction: what the profile's in-place update compares its entry with.
    const [claim, profileStamp] = await Promise.all([
      this.seats.hold(flightId, v.flight.capacity, v.seatIndex),
      this.profile.startStamp(passengerId),
    ]);
    if (claim.outcome === 'taken') throw seatTaken(seat, flightId);
    const day = departureDay(v.flight.departure);
    let created: { bookingId: number; events: OutboxEvent[] };
    try {
      // The booking and its event commit together (the outbox), so a queue server that is down cannot lose it.
      created = await this.repo.transaction(async (m) => {
        const bookingId = await this.repo.insertBooking(m, { flightId, seat, passengerId, price: v.price });
        const event = bookingCreated({
          occurredAt: new Date().toISOString(),
          bookingId,
          reference: null,
          flightId,
          passengerId,
          passportNo: v.passportNo,
          seat,
          price: v.price,
          fromIata: v.flight.fromIata,
          toIata: v.flight.toIata,
          departureDate: day,
          mode: 'write-through',
        });
        return { bookingId, events: await this.outbox.add(m, [event]) };
      });
    } catch (e) {
      if (claim.outcome === 'ok') await this.seats.releaseHold(flightId, v.seatIndex, claim.token);
      throw translateInsertError(e, seat, flightId);
    }
    const { bookingId } = created;
    if (claim.outcome === 'ok') await this.seats.commitHold(flightId, v.seatIndex, claim.token);
    // Before answering, so a read right after this response sees the booking: the passenger's profile gets it
    // in place (or is dropped); the passenger's history, the flight's manifest and the route/day searches are
    // dropped.
    const profile = Tags.passengerProfile(passengerId);
    const profileDone = await this.profile.applyBooking(passengerId, v.flight, v.price, profileStamp);
    await this.sideEffects.afterCommit(
      [
        Tags.passenger(passengerId),
        Tags.flight(flightId),
        Tags.route(v.flight.fromIata, v.flight.toIata, day),
        ...(profileDone ? [] : [profile]),
      ],
      created.events,
      profileDone ? [profile] : [],
    );
    const value: BookingView = {
      bookingId,
      flightId,
      passengerId,
      seat,
      price: Number(v.price),
      mode: 'write-through',
      reference: null,
    };
    return { value, source: 'database', latencyMs: performance.now() - started, cacheKey: null };
  }

  private async writeBehind(
    dto: CreateBookingBody,
    v: Validated,
    started: number,
  ): Promise<CacheResult<WriteBehindAccepted>> {
    // A reference whose status lands in the flight's shard (on a cluster; any reference on one server).
    const reference = this.cache.referenceBeside(Keys.seatMap(dto.flightId), DurableWriteKeys.bookingStatus);
    const fields: Record<string, string> = {
      reference,
      flightId: String(dto.flightId),
      passengerId: String(dto.passengerId),
      seat: dto.seat,
      seatIndex: String(v.seatIndex),
      price: v.price,
      passportNo: v.passportNo,
      fromIata: v.flight.fromIata,
      toIata: v.flight.toIata,
      departureDate: departureDay(v.flight.departure),
      acceptedAt: new Date().toISOString(),
    };
    const claim = await this.seats.reserveWriteBehind(
      dto.flightId,
      v.flight.capacity,
      v.seatIndex,
      reference,
      fields,
    );
    if (claim.outcome === 'taken') throw seatTaken(dto.seat, dto.flightId);
    if (claim.outcome === 'unknown') {
      // Not a 503: the booking may exist. Its reference lets the client find out.
      throw new GatewayTimeoutException(
        `Valkey did not confirm whether write-behind booking ${reference} was accepted; ` +
          `GET /api/bookings/${reference} tells once it answers`,
      );
    }
    if (claim.outcome === 'unavailable') {
      throw new ServiceUnavailableException(
        'write-behind bookings are accepted by Valkey, which is unavailable right now; retry, or use mode write-through',
      );
    }
    return {
      value: { reference, status: 'pending' },
      source: 'cache',
      latencyMs: performance.now() - started,
      cacheKey: this.cache.key(DurableWriteKeys.bookingStatus(reference)),
    };
  }
}

function cancelledEvent(b: BookingForCancel, occurredAt: string) {
  return bookingCancelled({
    occurredAt,
    bookingId: b.bookingId,
    flightId: b.flightId,
    passengerId: b.passengerId,
    passportNo: b.passportNo,
    seat: b.seat ?? '',
    fromIata: b.fromIata,
    toIata: b.toIata,
    departureDate: departureDay(b.departure),
  });
}

function seatTaken(seat: string, flightId: number): ConflictException {
  return new ConflictException(`seat ${seat} on flight ${flightId} is already taken`);
}

function translateInsertError(e: unknown, seat: string, flightId: number): Error {
  switch (dbErrorKind(e)) {
    case 'unique':
      return seatTaken(seat, flightId);
    case 'integrity':
      return new NotFoundException(`flight ${flightId} or the passenger no longer exists`);
    default:
      return new ServiceUnavailableException(`the database is unavailable: ${(e as Error).message}`);
  }
}

function statusView(h: Record<string, string>): BookingStatusView {
  return {
    reference: h.reference,
    status: h.status as BookingStatusView['status'],
    flightId: Number(h.flightId),
    passengerId: Number(h.passengerId),
    seat: h.seat,
    price: Number(h.price),
    acceptedAt: h.acceptedAt,
    ...(h.bookingId ? { bookingId: Number(h.bookingId) } : {}),
    ...(h.persistedAt ? { persistedAt: h.persistedAt } : {}),
    ...(h.reason ? { reason: h.reason } : {}),
  };
}
