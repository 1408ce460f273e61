import { Inject, Injectable, Optional } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, DurableWriteKeys, ValkeyClient } from '@app/cache';
import { bookingCreated } from '../events/booking-events';
import { EventPublisher } from '../events/event-publisher';
import { SeatInventory } from '../seats/seat-inventory';
import { FlushOutcome, FlushRepository, StreamBooking } from './flush.repository';
import { StreamEntry, bookingsOf } from './stream-entry';
import { FLUSHER_ENABLED, StreamFlusher } from './stream-flusher';

export { FLUSHER_ENABLED } from './stream-flusher';

/**
 * Drains the write-behind stream into the database (a StreamFlusher, in WRITE_BEHIND_LANES lanes): each batch is
 * written with one multi-row insert (idempotent by reference), its outcome recorded in Valkey, its events
 * published, and only then acknowledged and deleted.
 */
@Injectable()
export class WriteBehindFlusher extends StreamFlusher<StreamBooking, FlushOutcome[]> {
  /** Totals since start (this process). */
  readonly totals = {
    batches: 0,
    persisted: 0,
    failed: 0,
    retries: 0,
    databaseMs: 0,
    valkeyMs: 0,
    eventsMs: 0,
  };

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repo: FlushRepository,
    private readonly seats: SeatInventory,
    private readonly events: EventPublisher,
    cache: CacheService,
    @Optional() @Inject(FLUSHER_ENABLED) enabled: boolean = true,
  ) {
    super(config, enabled, {
      logger: 'WriteBehindFlusher',
      clientName: 'cmiyc-flusher',
      streams: () => cache.keyInEveryShard(DurableWriteKeys.writeBehindStream()),
      group: DurableWriteKeys.writeBehindGroup(),
      lanes: () => config.writeBehind.lanes,
      batchSize: () => config.writeBehind.batchSize,
      noun: 'bookings',
      loopError: 'flusher loop',
      missingGroupWarning: (message) =>
        `the write-behind consumer group is gone (${message}); creating it again`,
    });
  }

  protected parse(entries: StreamEntry[]): StreamBooking[] {
    return bookingsOf(entries);
  }

  protected persist(batch: StreamBooking[]): Promise<FlushOutcome[]> {
    return this.repo.persistBatch(batch);
  }

  protected persisted(ms: number): void {
    this.totals.databaseMs += ms;
  }

  protected retried(): void {
    this.totals.retries++;
  }

  protected async finalize(client: ValkeyClient, _batch: StreamBooking[], outcomes: FlushOutcome[]) {
    const committedAt = new Date().toISOString();
    let t = performance.now();
    await this.seats.finalizeWriteBehind(
      client,
      outcomes.map((o) => ({
        flightId: o.booking.flightId,
        seatIndex: o.booking.seatIndex,
        reference: o.booking.reference,
        persisted: o.persisted,
        detail: o.persisted ? String(o.bookingId) : o.reason,
      })),
      committedAt,
    );
    this.totals.valkeyMs += performance.now() - t;
    t = performance.now();
    await this.events.publish(outcomes.filter(isPersisted).map((o) => toEvent(o, committedAt)));
    this.totals.eventsMs += performance.now() - t;
  }

  protected settled(_batch: StreamBooking[], outcomes: FlushOutcome[]): void {
    this.totals.batches++;
    for (const o of outcomes) {
      if (o.persisted) this.totals.persisted++;
      else {
        this.totals.failed++;
        this.logger.warn(`booking ${o.booking.reference} refused: ${o.reason}`);
      }
    }
  }
}

type Persisted = Extract<FlushOutcome, { persisted: true }>;

function isPersisted(o: FlushOutcome): o is Persisted {
  return o.persisted;
}

function toEvent(o: Persisted, occurredAt: string) {
  const b = o.booking;
  return bookingCreated({
    occurredAt,
    bookingId: o.bookingId,
    reference: b.reference,
    flightId: b.flightId,
    passengerId: b.passengerId,
    passportNo: b.passportNo,
    seat: b.seat,
    price: b.price,
    fromIata: b.fromIata,
    toIata: b.toIata,
    departureDate: b.departureDate,
    mode: 'write-behind',
  });
}
