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
import { APP_CONFIG, AppConfig, RepeatLimiter, suppressedNote } from '@app/platform';
import {
  CacheService,
  DurableWriteKeys,
  Tags,
  ValkeyClient,
  WriteKeys,
  createValkeyClient,
  runScript,
} from '@app/cache';
import { flightUpdated } from '../events/booking-events';
import { EventPublisher } from '../events/event-publisher';
import { FLUSHER_ENABLED } from '../write-behind/flusher';
import { backoffMs, isMissingGroupError } from '../write-behind/retry';
import { StreamEntry } from '../write-behind/stream-entry';
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
 * Drains the write-behind flight changes (wb:flight-changes) into the database: read with XREADGROUP, applied in
 * one transaction per batch (FlightChangeRepository: every flight_log row, one UPDATE per flight), outcomes
 * recorded in Valkey, the stale cache entries dropped and flight.updated published, and only then acknowledged.
 * A flusher that dies leaves its batch pending; another claims it after WRITE_BEHIND_CLAIM_IDLE_MS (XAUTOCLAIM)
 * and the replay applies nothing twice. While the database is down the batch is retried with backoff.
 */
@Injectable()
export class FlightChangeFlusher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FlightChangeFlusher');
  private readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private client?: ValkeyClient;
  private running = false;
  private loop?: Promise<void>;
  private groupReady = false;
  private nextClaimAt = 0;
  private readonly errors = new RepeatLimiter();
  /** Totals since start (this process). */
  readonly totals = { batches: 0, changes: 0, updates: 0, retries: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: FlightChangeRepository,
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

  start(): void {
    if (this.running) return;
    // A patient connection of its own: XREADGROUP blocks, and the flusher must wait out a Valkey restart.
    this.client = createValkeyClient(this.config.cache, {
      name: `cmiyc-flight-flusher-${this.consumer}`,
      maxRetriesPerRequest: null,
    });
    this.running = true;
    this.loop = this.run(this.client);
  }

  async stop(): Promise<void> {
    if (!this.client) return;
    this.running = false;
    await within(this.loop!, Math.max(2000, this.config.writeBehind.blockMs * 2));
    this.client.disconnect();
    await within(this.loop!, 1000);
    this.client = undefined;
    this.groupReady = false;
  }

  private get stream(): string {
    return this.cache.key(DurableWriteKeys.flightChangeStream());
  }

  private async run(client: ValkeyClient): Promise<void> {
    const group = DurableWriteKeys.flightChangeGroup();
    let failures = 0;
    while (this.running) {
      try {
        if (!this.groupReady) {
          try {
            await client.xgroup('CREATE', this.stream, group, '0', 'MKSTREAM');
          } catch (e) {
            if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
          }
          this.groupReady = true;
        }
        const entries = await this.nextBatch(client, group);
        if (entries.length > 0) await this.flush(client, group, entries);
        failures = 0;
      } catch (e) {
        if (!this.running) return;
        failures++;
        if (isMissingGroupError(e)) this.groupReady = false;
        const { log, suppressed } = this.errors.take((e as Error).message);
        if (log)
          this.logger.error(`flight change flusher: ${(e as Error).message}${suppressedNote(suppressed)}`);
        await this.pause(backoffMs(failures));
      }
    }
  }

  private async nextBatch(client: ValkeyClient, group: string): Promise<StreamEntry[]> {
    const { blockMs, claimIdleMs } = this.config.writeBehind;
    const count = Math.min(MAX_BATCH, this.config.writeBehind.batchSize);
    if (Date.now() >= this.nextClaimAt) {
      this.nextClaimAt = Date.now() + Math.max(100, claimIdleMs / 2);
      const [, claimed] = (await client.xautoclaim(
        this.stream,
        group,
        this.consumer,
        claimIdleMs,
        '0-0',
        'COUNT',
        count,
      )) as [string, StreamEntry[]];
      if (claimed.length > 0) {
        this.logger.warn(`claimed ${claimed.length} flight changes left pending by a flusher that stopped`);
        this.nextClaimAt = 0;
        return claimed;
      }
    }
    const reply = (await client.xreadgroup(
      'GROUP',
      group,
      this.consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      this.stream,
      '>',
    )) as Array<[string, StreamEntry[]]> | null;
    return reply?.[0]?.[1] ?? [];
  }

  private async flush(client: ValkeyClient, group: string, entries: StreamEntry[]): Promise<void> {
    const batch = entries.filter((e) => e[1] !== null).map(([id, f]) => parseChange(id, f!));
    const result = await this.applyPatiently(batch);
    if (result === null) return; // stopping: the batch stays pending for the next flusher
    const at = new Date().toISOString();
    await this.finalize(client, result, at);
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
    const ids = entries.map((e) => e[0]);
    await client
      .multi()
      .xack(this.stream, group, ...ids)
      .xdel(this.stream, ...ids)
      .exec();
    this.totals.batches++;
    this.totals.changes += batch.length;
    this.totals.updates += result.updates;
    for (const o of result.outcomes)
      if (!o.persisted) this.logger.warn(`flight change ${o.change.reference} refused: ${o.reason}`);
  }

  /** Outcomes and totals in Valkey; a flight's pending change goes once the database has it. */
  private async finalize(client: ValkeyClient, r: FlightChangeBatchResult, at: string): Promise<void> {
    const k = (key: string) => this.cache.key(key);
    const keys = [
      k(DurableWriteKeys.flightChangeTotals()),
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

  private async applyPatiently(batch: StreamFlightChange[]): Promise<FlightChangeBatchResult | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.repo.applyBatch(batch);
      } catch (e) {
        this.totals.retries++;
        const wait = backoffMs(attempt);
        const { log, suppressed } = this.errors.take((e as Error).message);
        if (log)
          this.logger.warn(
            `database unavailable (${(e as Error).message}); ${batch.length} flight changes retried in ${wait} ms${suppressedNote(suppressed)}`,
          );
        await this.pause(wait);
        if (!this.running) return null;
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await sleep(Math.min(50, until - Date.now()));
  }
}

/** The tags a moved flight makes stale: the flight itself and its route's searches on both days. */
function flightTags(f: { flightId: number; fromCode: string; toCode: string; days: string[] }): string[] {
  return [Tags.flight(f.flightId), ...f.days.map((d) => Tags.route(f.fromCode, f.toCode, d))];
}

export function parseChange(streamId: string, fields: string[]): StreamFlightChange {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return {
    streamId,
    reference: f.reference,
    flightId: Number(f.flightId),
    seq: Number(f.seq),
    departure: f.departure,
    arrival: f.arrival,
    comment: f.comment ? f.comment : null,
    acceptedAt: f.acceptedAt,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
