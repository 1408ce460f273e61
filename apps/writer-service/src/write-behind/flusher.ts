import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig, RepeatLimiter, suppressedNote } from '@app/platform';
import { CacheService, DurableWriteKeys, ValkeyClient, createValkeyClient } from '@app/cache';
import { bookingCreated } from '../events/booking-events';
import { EventPublisher } from '../events/event-publisher';
import { SeatInventory } from '../seats/seat-inventory';
import { FlushOutcome, FlushRepository, StreamBooking } from './flush.repository';
import { backoffMs, isMissingGroupError } from './retry';
import { StreamEntry, bookingsOf } from './stream-entry';

/** false: this process accepts bookings but does not flush (another process does). */
export const FLUSHER_ENABLED = Symbol('FLUSHER_ENABLED');

interface Lane {
  consumer: string;
  client: ValkeyClient;
  nextClaimAt: number;
}

/**
 * Drains the write-behind stream into the database. Several flushers (processes) share the work through one
 * consumer group: each batch is read with XREADGROUP, written with one multi-row insert (idempotent by
 * reference), its outcome recorded in Valkey, its events published, and only then acknowledged and deleted.
 * A flusher that dies leaves its batch pending; another claims it after WRITE_BEHIND_CLAIM_IDLE_MS (XAUTOCLAIM)
 * and the replay inserts nothing twice. While the database is down the batch is retried with backoff, never lost.
 */
@Injectable()
export class WriteBehindFlusher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WriteBehindFlusher');
  private readonly name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private lanes: Lane[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private groupReady = false;
  /** The same failure, repeated by every lane and every retry, is logged at a bounded rate. */
  private readonly loopErrors = new RepeatLimiter();
  private readonly databaseErrors = new RepeatLimiter();
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: FlushRepository,
    private readonly seats: SeatInventory,
    private readonly events: EventPublisher,
    private readonly cache: CacheService,
    @Optional() @Inject(FLUSHER_ENABLED) private readonly enabled: boolean = true,
  ) {}

  onApplicationBootstrap() {
    if (this.enabled) this.start();
  }

  async onApplicationShutdown() {
    await this.stop();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    // Batches in flight (WRITE_BEHIND_LANES): while one lane waits for the database, another publishes its events
    // and acknowledges. Each lane is a consumer of its own, with a patient connection of its own (XREADGROUP
    // blocks, and the flusher must wait out a Valkey restart, not fail).
    this.lanes = Array.from({ length: this.config.writeBehind.lanes }, (_, i) => {
      const consumer = `${this.name}-${i}`;
      const client = createValkeyClient(this.config.cache, {
        name: `cmiyc-flusher-${consumer}`,
        maxRetriesPerRequest: null,
      });
      return { consumer, client, nextClaimAt: 0 };
    });
    this.running = true;
    this.loops = this.lanes.map((lane) => this.run(lane));
  }

  async stop(): Promise<void> {
    if (this.lanes.length === 0) return;
    this.running = false;
    // A batch in progress finishes (or its retry sleep ends) within a moment; or a command waiting
    // for a Valkey that is away, does not hold us: disconnecting rejects the command and its loop ends.
    const loops = Promise.all(this.loops);
    await within(loops, Math.max(2000, this.config.writeBehind.blockMs * 2));
    for (const lane of this.lanes) lane.client.disconnect();
    await within(loops, 1000);
    this.lanes = [];
    this.loops = [];
    this.groupReady = false;
  }

  private get stream(): string {
    return this.cache.key(DurableWriteKeys.writeBehindStream());
  }

  private async run(lane: Lane): Promise<void> {
    const group = DurableWriteKeys.writeBehindGroup();
    let failures = 0;
    while (this.running) {
      try {
        await this.ensureGroup(lane.client, group);
        const entries = await this.nextBatch(lane, group);
        if (entries.length > 0) await this.flush(lane, group, entries);
        failures = 0;
      } catch (e) {
        // Stopping: a command cut short by the disconnect is not a failure.
        if (!this.running) return;
        failures++;
        const message = (e as Error).message;
        if (isMissingGroupError(e)) {
          // The stream (and its group) was deleted: the group is created again, from the stream's start.
          this.groupReady = false;
          const { log, suppressed } = this.loopErrors.take('missing group');
          if (log) {
            this.logger.warn(
              `the write-behind consumer group is gone (${message}); creating it again${suppressedNote(suppressed)}`,
            );
          }
        } else {
          const { log, suppressed } = this.loopErrors.take(message);
          if (log) this.logger.error(`flusher loop: ${message}${suppressedNote(suppressed)}`);
        }
        await this.pause(backoffMs(failures));
      }
    }
  }

  private async ensureGroup(client: ValkeyClient, group: string): Promise<void> {
    if (this.groupReady) return;
    try {
      // From the stream's start: bookings accepted before any flusher existed are flushed too.
      await client.xgroup('CREATE', this.stream, group, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
    this.groupReady = true;
  }

  /** Entries a dead consumer left pending (checked regularly), else new ones (blocking briefly). */
  private async nextBatch(lane: Lane, group: string): Promise<StreamEntry[]> {
    const { batchSize, blockMs, claimIdleMs } = this.config.writeBehind;
    if (Date.now() >= lane.nextClaimAt) {
      lane.nextClaimAt = Date.now() + Math.max(100, claimIdleMs / 2);
      const [, claimed] = (await lane.client.xautoclaim(
        this.stream,
        group,
        lane.consumer,
        claimIdleMs,
        '0-0',
        'COUNT',
        batchSize,
      )) as [string, StreamEntry[]];
      if (claimed.length > 0) {
        this.logger.warn(`claimed ${claimed.length} bookings left pending by a flusher that stopped`);
        lane.nextClaimAt = 0; // there may be more
        return claimed;
      }
    }
    const reply = (await lane.client.xreadgroup(
      'GROUP',
      group,
      lane.consumer,
      'COUNT',
      batchSize,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.stream,
      '>',
    )) as Array<[string, StreamEntry[]]> | null;
    return reply?.[0]?.[1] ?? [];
  }

  private async flush(lane: Lane, group: string, entries: StreamEntry[]): Promise<void> {
    // An entry deleted from the stream but still pending comes back without fields: nothing to write.
    const batch = bookingsOf(entries);
    let t = performance.now();
    const outcomes = await this.persistPatiently(batch);
    this.totals.databaseMs += performance.now() - t;
    if (outcomes === null) return; // stopping: the batch stays pending for the next flusher
    const committedAt = new Date().toISOString();
    t = performance.now();
    await this.seats.finalizeWriteBehind(
      lane.client,
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
    const ids = entries.map((e) => e[0]);
    await lane.client
      .multi()
      .xack(this.stream, group, ...ids)
      .xdel(this.stream, ...ids)
      .exec();
    this.totals.batches++;
    for (const o of outcomes) {
      if (o.persisted) this.totals.persisted++;
      else {
        this.totals.failed++;
        this.logger.warn(`booking ${o.booking.reference} refused: ${o.reason}`);
      }
    }
  }

  /** Retries the batch while the database is down; null when asked to stop meanwhile. */
  private async persistPatiently(batch: StreamBooking[]): Promise<FlushOutcome[] | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.repo.persistBatch(batch);
      } catch (e) {
        this.totals.retries++;
        const wait = backoffMs(attempt);
        const message = (e as Error).message;
        const { log, suppressed } = this.databaseErrors.take(message);
        if (log) {
          this.logger.warn(
            `database unavailable (${message}); ${batch.length} bookings retried in ${wait} ms${suppressedNote(suppressed)}`,
          );
        }
        await this.pause(wait);
        if (!this.running) return null;
      }
    }
  }

  /** Sleeps, waking early when stopped. */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await sleep(Math.min(50, until - Date.now()));
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for `work`, or `ms` at most (leaving no timer behind). */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
