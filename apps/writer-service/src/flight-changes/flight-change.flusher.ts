import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/platform';
import { CacheService, DurableWriteKeys, Tags, ValkeyClient, WriteKeys, runScript } from '@app/cache';
import { flightUpdated } from '../events/booking-events';
import { EventPublisher } from '../events/event-publisher';
import { StreamEntry, entryParser, itemsOf, num, text, textOrNull } from '../write-behind/stream-entry';
import { FLUSHER_ENABLED, StreamFlusher } from '../write-behind/stream-flusher';
import {
  FlightChangeBatchResult,
  FlightChangeRepository,
  StreamFlightChange,
} from './flight-change.repository';

/** Statuses of finished changes stay this long in Valkey (the database keeps the reference for good). */
const STATUS_TTL_SECONDS = 7 * 24 * 3600;
/** Changes per batch at most: 18 bind parameters per flight_log row stay well under the engines' limits. */
const MAX_BATCH = 1000;

/**
 * Drains the write-behind flight changes (wb:flight-changes) into the database (a StreamFlusher, one lane):
 * applied in one transaction per batch (FlightChangeRepository: every flight_log row, one UPDATE per flight),
 * outcomes recorded in Valkey, the stale cache entries dropped and flight.updated published, and only then
 * acknowledged. The replay of a batch a dead flusher left pending applies nothing twice.
 */
@Injectable()
export class FlightChangeFlusher extends StreamFlusher<StreamFlightChange, FlightChangeBatchResult> {
  /** Totals since start (this process). */
  readonly totals = { batches: 0, changes: 0, updates: 0, retries: 0 };

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly repo: FlightChangeRepository,
    private readonly events: EventPublisher,
    private readonly cache: CacheService,
    @Optional() @Inject(FLUSHER_ENABLED) enabled: boolean = true,
  ) {
    super(config, enabled, {
      logger: 'FlightChangeFlusher',
      clientName: 'cmiyc-flight-flusher',
      streams: () => cache.keyInEveryShard(DurableWriteKeys.flightChangeStream()),
      group: DurableWriteKeys.flightChangeGroup(),
      batchSize: () => Math.min(MAX_BATCH, config.writeBehind.batchSize),
      noun: 'flight changes',
      loopError: 'flight change flusher',
      oneErrorLimiter: true,
    });
  }

  protected parse(entries: StreamEntry[]): StreamFlightChange[] {
    return itemsOf(entries, parseChange);
  }

  protected persist(batch: StreamFlightChange[]): Promise<FlightChangeBatchResult> {
    return this.repo.applyBatch(batch);
  }

  protected retried(): void {
    this.totals.retries++;
  }

  protected async finalize(
    client: ValkeyClient,
    _batch: StreamFlightChange[],
    result: FlightChangeBatchResult,
  ): Promise<void> {
    const at = new Date().toISOString();
    await this.record(client, result, at);
    await this.dropStale(result);
    await this.events.publish(
      result.flights.map((f) =>
        flightUpdated({
          occurredAt: f.lastAcceptedAt,
          flightId: f.flightId,
          fromIata: f.fromCode,
          toIata: f.toCode,
          departureDates: f.days,
          invalidatedTags: flightTags(f),
        }),
      ),
    );
  }

  protected settled(batch: StreamFlightChange[], result: FlightChangeBatchResult): void {
    this.totals.batches++;
    this.totals.changes += batch.length;
    this.totals.updates += result.updates;
    for (const o of result.outcomes)
      if (!o.persisted) this.logger.warn(`flight change ${o.change.reference} refused: ${o.reason}`);
  }

  /** Outcomes and totals in Valkey; a flight's pending change goes once the database has it. */
  private async record(client: ValkeyClient, r: FlightChangeBatchResult, at: string): Promise<void> {
    const k = (key: string) => this.cache.key(key);
    // A batch comes from one shard's stream: its totals are that shard's (the shard of its statuses).
    const shardOfBatch = DurableWriteKeys.flightChangeStatus(r.outcomes[0].change.reference);
    const keys = [
      this.cache.keyBeside(shardOfBatch, DurableWriteKeys.flightChangeTotals()),
      ...r.outcomes.map((o) => k(DurableWriteKeys.flightChangeStatus(o.change.reference))),
      ...r.flights.map((f) => k(DurableWriteKeys.flightChangePending(f.flightId))),
    ];
    const args: (string | number)[] = [
      STATUS_TTL_SECONDS,
      r.outcomes.length,
      r.flights.length,
      at,
      r.updates,
      r.outcomes.length,
      ...r.outcomes.flatMap((o) => (o.persisted ? ['persisted', ''] : ['failed', o.reason])),
      ...r.flights.map((f) => f.seq),
    ];
    await runScript(client, 'finalize-flight-changes', keys, args);
  }

  /** The moved flights' cached entries, searches and facts: loaded again from the database when next read. */
  private async dropStale(r: FlightChangeBatchResult): Promise<void> {
    if (r.flights.length === 0) return;
    const tags = r.flights.flatMap(flightTags);
    if ((await this.cache.invalidateTags(tags)) < 0)
      this.logger.warn(`cache unavailable: could not invalidate ${tags.join(', ')}`);
    await this.cache.delete(r.flights.map((f) => WriteKeys.bookingFlightFacts(f.flightId)));
  }
}

/** The tags a moved flight makes stale: the flight itself and its route's searches on both days. */
function flightTags(f: { flightId: number; fromCode: string; toCode: string; days: string[] }): string[] {
  return [
    Tags.flight(f.flightId),
    Tags.seats(f.flightId),
    ...f.days.map((d) => Tags.route(f.fromCode, f.toCode, d)),
  ];
}

/** A write-behind flight change from its stream entry. */
export const parseChange = entryParser<StreamFlightChange>({
  reference: text,
  flightId: num,
  seq: num,
  departure: text,
  arrival: text,
  comment: textOrNull,
  acceptedAt: text,
});
